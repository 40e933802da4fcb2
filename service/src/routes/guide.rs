//! How the score is made, for shop owners and residents: the same words as the README's owners'
//! section, from the one text the scoring crate keeps beside the rules.

use actix_web::{get, HttpResponse};
use serde::Serialize;
use shopcredit_scoring::HOW_SCORES_WORK;
use utoipa::ToSchema;

/// How the score is made and what moves it, in Chinese and in English (Markdown).
#[derive(Debug, Serialize, ToSchema)]
pub struct HowScoresWork {
    pub zh: String,
    pub en: String,
}

/// The text's two halves: what follows `**中文**` and what follows `**English**`.
pub fn how_scores_work() -> HowScoresWork {
    let after = |marker: &str| {
        HOW_SCORES_WORK
            .split_once(marker)
            .map_or("", |(_, rest)| rest)
    };
    let zh = after("**中文**");
    let zh = zh.split_once("**English**").map_or(zh, |(zh, _)| zh);
    HowScoresWork {
        zh: zh.trim().to_owned(),
        en: after("**English**").trim().to_owned(),
    }
}

/// How the score is made and what moves it (anyone).
#[utoipa::path(
    tag = "public",
    responses((status = 200, description = "The explanation in Chinese and English", body = HowScoresWork))
)]
#[get("/v1/public/how-scores-work")]
pub async fn get_how_scores_work() -> HttpResponse {
    HttpResponse::Ok().json(how_scores_work())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_says_what_the_endpoint_serves() {
        let readme = include_str!("../../../README.md");
        let words = how_scores_work();
        assert!(words.zh.contains("700") && words.en.contains("700"));
        for line in words.zh.lines().chain(words.en.lines()) {
            assert!(readme.contains(line), "the README lacks: {line}");
        }
    }
}
