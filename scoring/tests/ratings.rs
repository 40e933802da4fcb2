//! Issue 9, point 1: the public rating is judged against the policy's prior, counts only once a
//! review has settled, and never changes a colour by itself.

mod common;

use common::*;
use shopcredit_scoring::*;

#[test]
fn reviews_alone_never_change_a_colour() {
    let p = policy();
    let quiet = good_shop();
    let mut panned = quiet.clone();
    panned.reviews = (0..60)
        .map(|k| review(1, day(AS_OF_DAY - 30 + k / 3)))
        .collect();
    let without = assess(&quiet, &p, day(AS_OF_DAY), None);
    let with = assess(&panned, &p, day(AS_OF_DAY), None);
    assert!(with.score < without.score, "reviews move the score");
    assert_eq!(
        with.colour, without.colour,
        "but never the colour: {with:?}"
    );
}

#[test]
fn a_review_counts_only_once_it_has_settled() {
    let p = policy();
    let as_of = day(AS_OF_DAY);
    let settle = i64::from(p.review_settle_hours);
    let mut e = good_shop();
    e.reviews = vec![review(1, as_of.plus_hours(-settle).plus_hours(1))];
    assert_eq!(
        characteristics(&e, &p, as_of).counted_reviews,
        0,
        "too fresh"
    );
    e.reviews = vec![review(1, as_of.plus_hours(-settle))];
    assert_eq!(characteristics(&e, &p, as_of).counted_reviews, 1, "settled");
}

#[test]
fn the_rating_prior_is_the_policys_number() {
    let mut raw = policy().into_inner();
    raw.rating_prior_mean = 2.0;
    let low = raw.clone().validate().unwrap();
    let mut e = good_shop();
    e.reviews = vec![review(5, day(AS_OF_DAY - 3))];
    let c = characteristics(&e, &low, day(AS_OF_DAY));
    assert_eq!(c.prior_rating, 2.0);
    raw.rating_prior_mean = 6.0;
    assert!(
        raw.validate().is_err(),
        "a prior outside 1..=5 stars is refused"
    );
}
