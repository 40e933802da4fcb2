//! Reading one LIVES file into typed rows (see the module's description for what it tolerates).

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::NaiveDate;
use csv::{ReaderBuilder, StringRecord, Trim};

/// The three files of a LIVES export that the importer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LivesFile {
    Businesses,
    Inspections,
    Violations,
}

impl LivesFile {
    pub fn name(self) -> &'static str {
        match self {
            Self::Businesses => "businesses.csv",
            Self::Inspections => "inspections.csv",
            Self::Violations => "violations.csv",
        }
    }

    /// The columns a file cannot be read without.
    fn required(self) -> &'static [&'static str] {
        match self {
            Self::Businesses => &["business_id", "name"],
            Self::Inspections | Self::Violations => &["business_id", "date"],
        }
    }
}

/// A row of `businesses.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Business {
    pub business_id: String,
    pub name: String,
    pub address: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    /// Both or neither: a business without (valid) coordinates is still a business.
    pub location: Option<(f64, f64)>,
    pub phone_number: Option<String>,
}

/// A row of `inspections.csv`: one visit, keyed by `(business_id, date)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    pub business_id: String,
    pub date: NaiveDate,
    pub score: Option<f64>,
    /// The export's `type` (routine, complaint, follow-up…), mapped to a patrol kind on import.
    pub kind: Option<String>,
}

/// A row of `violations.csv`: a finding of the visit `(business_id, date)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub business_id: String,
    pub date: NaiveDate,
    /// `code`, or `ViolationTypeID` as some exports name it.
    pub code: Option<String>,
    pub description: Option<String>,
    /// An optional `risk_category` ("High Risk"…) some exports carry.
    pub risk_category: Option<String>,
}

/// A row type of one of the files.
pub trait LivesRow: Sized {
    const FILE: LivesFile;
    /// Reads one record; `Err` is the reason it was skipped.
    fn from_record(columns: &Columns, record: &StringRecord) -> Result<Self, String>;
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub file: &'static str,
    /// 1-based line of the file where the record starts.
    pub line: u64,
    pub reason: String,
}

/// The rows read from one file, each with its line, and the rows skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct Table<T> {
    pub rows: Vec<(u64, T)>,
    pub skipped: Vec<Skipped>,
}

/// Header names (trimmed, lower case) to their position.
#[derive(Debug)]
pub struct Columns(HashMap<String, usize>);

impl Columns {
    fn new(headers: &StringRecord) -> Self {
        let mut map = HashMap::new();
        for (i, name) in headers.iter().enumerate() {
            // The first of two columns of one name wins, as a reader of the file would take it.
            map.entry(name.trim().to_lowercase()).or_insert(i);
        }
        Self(map)
    }

    /// The non-empty value of the first of `names` present in the header.
    fn get<'r>(&self, record: &'r StringRecord, names: &[&str]) -> Option<&'r str> {
        names
            .iter()
            .find_map(|n| self.0.get(*n))
            .and_then(|&i| record.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    fn text(&self, record: &StringRecord, names: &[&str]) -> Option<String> {
        self.get(record, names).map(str::to_owned)
    }

    fn required(&self, record: &StringRecord, name: &str) -> Result<String, String> {
        self.text(record, &[name])
            .ok_or_else(|| format!("missing {name}"))
    }

    fn date(&self, record: &StringRecord) -> Result<NaiveDate, String> {
        let text = self.required(record, "date")?;
        parse_date(&text).ok_or_else(|| format!("unreadable date {text:?}"))
    }
}

/// Reads `bytes` as one LIVES file of rows `T`. Fails only when the header lacks a column the file
/// cannot be read without; every other problem skips one row.
pub fn read<T: LivesRow>(bytes: &[u8]) -> Result<Table<T>, String> {
    // The csv crate counts lines one short after a CRLF record ending; LF everywhere (quoted
    // newlines included, which only tidies them) keeps the reported lines true.
    let text = decode(bytes).replace("\r\n", "\n");
    let mut reader = ReaderBuilder::new()
        .flexible(true)
        .trim(Trim::All)
        .from_reader(text.as_bytes());
    let file = T::FILE.name();
    let headers = reader
        .headers()
        .map_err(|e| format!("{file}: unreadable header: {e}"))?
        .clone();
    let columns = Columns::new(&headers);
    let missing: Vec<_> = T::FILE
        .required()
        .iter()
        .filter(|c| !columns.0.contains_key(**c))
        .collect();
    if !missing.is_empty() {
        return Err(format!("{file}: the header lacks {missing:?}"));
    }
    let mut table = Table {
        rows: Vec::new(),
        skipped: Vec::new(),
    };
    for record in reader.records() {
        let (line, outcome) = match record {
            Ok(record) => (
                record.position().map_or(0, csv::Position::line),
                T::from_record(&columns, &record),
            ),
            Err(e) => (
                e.position().map_or(0, csv::Position::line),
                Err(format!("unreadable record: {e}")),
            ),
        };
        match outcome {
            Ok(row) => table.rows.push((line, row)),
            Err(reason) => table.skipped.push(Skipped { file, line, reason }),
        }
    }
    Ok(table)
}

/// UTF-8 with or without a byte-order mark; anything else is read as Windows-1252, which every
/// Latin-1 file also is (for the characters exports use).
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    }
}

/// `YYYYMMDD` (the LIVES form) or ISO 8601 (`YYYY-MM-DD`, with or without a time after it).
fn parse_date(text: &str) -> Option<NaiveDate> {
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(text, "%Y%m%d").ok();
    }
    let day = text.get(..10)?;
    let rest = &text[10..];
    if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
        return None;
    }
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

impl LivesRow for Business {
    const FILE: LivesFile = LivesFile::Businesses;

    fn from_record(c: &Columns, r: &StringRecord) -> Result<Self, String> {
        let coordinate = |name: &str, bound: f64| {
            c.get(r, &[name])
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| v.is_finite() && v.abs() <= bound)
        };
        // Many exports write 0,0 for "unknown": that is the Gulf of Guinea, not a shop.
        let location = match (coordinate("latitude", 90.0), coordinate("longitude", 180.0)) {
            (Some(lat), Some(lon)) if (lat, lon) != (0.0, 0.0) => Some((lat, lon)),
            _ => None,
        };
        Ok(Self {
            business_id: c.required(r, "business_id")?,
            name: c.required(r, "name")?,
            address: c.text(r, &["address"]),
            city: c.text(r, &["city"]),
            postal_code: c.text(r, &["postal_code"]),
            location,
            phone_number: c.text(r, &["phone_number"]),
        })
    }
}

impl LivesRow for Inspection {
    const FILE: LivesFile = LivesFile::Inspections;

    fn from_record(c: &Columns, r: &StringRecord) -> Result<Self, String> {
        let score = match c.get(r, &["score"]) {
            None => None,
            Some(v) => Some(
                v.parse::<f64>()
                    .map_err(|_| format!("unreadable score {v:?}"))?,
            ),
        };
        Ok(Self {
            business_id: c.required(r, "business_id")?,
            date: c.date(r)?,
            score,
            kind: c.text(r, &["type"]),
        })
    }
}

impl LivesRow for Violation {
    const FILE: LivesFile = LivesFile::Violations;

    fn from_record(c: &Columns, r: &StringRecord) -> Result<Self, String> {
        Ok(Self {
            business_id: c.required(r, "business_id")?,
            date: c.date(r)?,
            code: c.text(r, &["code", "violationtypeid"]),
            description: c.text(r, &["description"]),
            risk_category: c.text(r, &["risk_category"]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn businesses_are_read_whatever_the_encoding_line_ends_and_column_order() {
        // A BOM, CRLF, headers in another case and order, an unknown column, a quoted address with
        // a comma and a newline, a Windows-1252 name (0xE9 is é), a row without coordinates, one
        // with 0,0, one without an id and one without a name.
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(
            b"Name,BUSINESS_ID,Extra,address,latitude,longitude\r\n\
              Caf\xE9 Rouge,B1,x,\"12 Main St,\r\nUnit 2\",37.7,-122.4\r\n\
              Noodle Bar,B2,x,3 Side St,,\r\n\
              Zero Place,B3,x,4 Zero St,0,0\r\n\
              No Id,,x,5 Gone St,1,1\r\n\
              ,B5,x,6 Nameless St,1,1\r\n",
        );
        // Not UTF-8 (the é), so the file after its BOM is read as Windows-1252.
        let table = read::<Business>(&bytes).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<_> = table.rows.iter().map(|(_, b)| b.name.as_str()).collect();
        assert_eq!(names, ["Café Rouge", "Noodle Bar", "Zero Place"]);
        let cafe = &table.rows[0].1;
        assert_eq!(cafe.business_id, "B1");
        assert_eq!(cafe.address.as_deref(), Some("12 Main St,\nUnit 2"));
        assert_eq!(cafe.location, Some((37.7, -122.4)));
        assert_eq!(table.rows[1].1.location, None, "no coordinates");
        assert_eq!(table.rows[2].1.location, None, "0,0 means unknown");
        let skipped: Vec<_> = table
            .skipped
            .iter()
            .map(|s| (s.file, s.line, s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                ("businesses.csv", 6, "missing business_id"),
                ("businesses.csv", 7, "missing name")
            ]
        );
    }

    #[test]
    fn utf8_with_a_bom_and_lf_reads_chinese_names() {
        let text = "\u{feff}business_id,name\n店1,老王面馆\n";
        let table = read::<Business>(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(table.rows[0].1.business_id, "店1");
        assert_eq!(table.rows[0].1.name, "老王面馆");
        assert_eq!(table.rows[0].0, 2, "the line of the record");
    }

    #[test]
    fn inspection_dates_are_lives_or_iso_and_a_bad_one_skips_its_row() {
        let text = "business_id,score,date,type\n\
                    B1,92,20240115,routine\n\
                    B1,,2024-02-03,complaint\n\
                    B2,88,2024-03-04T10:30:00Z,\n\
                    B2,70,15/01/2024,routine\n\
                    B3,abc,20240101,routine\n\
                    B4,90,20241345,routine\n";
        let table = read::<Inspection>(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<_> = table
            .rows
            .iter()
            .map(|(_, i)| (i.business_id.as_str(), i.date, i.score, i.kind.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("B1", day(2024, 1, 15), Some(92.0), Some("routine")),
                ("B1", day(2024, 2, 3), None, Some("complaint")),
                ("B2", day(2024, 3, 4), Some(88.0), None),
            ]
        );
        let reasons: Vec<_> = table
            .skipped
            .iter()
            .map(|s| (s.line, s.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [
                (5, "unreadable date \"15/01/2024\""),
                (6, "unreadable score \"abc\""),
                (7, "unreadable date \"20241345\""),
            ]
        );
    }

    #[test]
    fn violations_take_their_code_from_either_column_name() {
        let text = "Business_ID,Date,ViolationTypeID,Description,risk_category\n\
                    B1,20240115,103120,Moldy food,High Risk\n";
        let table = read::<Violation>(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let v = &table.rows[0].1;
        assert_eq!(v.code.as_deref(), Some("103120"));
        assert_eq!(v.risk_category.as_deref(), Some("High Risk"));
        assert_eq!(v.date, day(2024, 1, 15));
    }

    #[test]
    fn a_file_without_a_required_column_is_refused_whole_naming_it() {
        let err = read::<Inspection>(b"business_id,score\nB1,90\n").unwrap_err();
        assert!(
            err.contains("inspections.csv") && err.contains("date"),
            "{err}"
        );
    }
}
