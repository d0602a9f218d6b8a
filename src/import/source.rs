//! Reading the files an import is given: CSV (UTF-8, with or without a byte-order mark, or
//! Big5/CP950) and XLSX workbooks (a sheet per kind, or one sheet named by its file), as rows of
//! text cells under a header. CSV is read as a stream; an XLSX sheet is read whole (calamine).

use std::io::Read;

use anyhow::{Context as _, anyhow, bail};
use calamine::{Data, Reader as _};

use super::kinds::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    #[default]
    Utf8,
    /// Big5 as browsers decode it (WHATWG): CP950 with the HKSCS extensions.
    Big5,
}

impl Encoding {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "big5" | "cp950" | "big5-hkscs" => Some(Encoding::Big5),
            _ => None,
        }
    }
}

/// A file handed to the import: its name (which says its kind) and its bytes' reader.
pub struct Input {
    pub name: String,
    pub reader: Box<dyn Read + Send>,
}

impl Input {
    pub fn open(path: &std::path::Path) -> anyhow::Result<Self> {
        let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        Ok(Input {
            name: path.display().to_string(),
            reader: Box::new(std::io::BufReader::with_capacity(1 << 16, file)),
        })
    }

    pub fn bytes(name: &str, bytes: Vec<u8>) -> Self {
        Input { name: name.to_string(), reader: Box::new(std::io::Cursor::new(bytes)) }
    }

    fn is_xlsx(&self) -> bool {
        let lower = self.name.to_lowercase();
        lower.ends_with(".xlsx") || lower.ends_with(".xlsm")
    }
}

/// One table of one kind: `source` names the file (and sheet) in reports.
pub struct Table {
    pub kind: Kind,
    pub source: String,
    pub header: Vec<String>,
    pub rows: Box<dyn Iterator<Item = Result<Vec<String>, String>> + Send>,
}

/// The tables a file holds.
pub fn tables(input: Input, encoding: Encoding) -> anyhow::Result<Vec<Table>> {
    if input.is_xlsx() { workbook(input) } else { csv_table(input, encoding).map(|t| vec![t]) }
}

fn csv_table(input: Input, encoding: Encoding) -> anyhow::Result<Table> {
    let kind = Kind::of_name(&input.name).ok_or_else(|| unknown_kind(&input.name))?;
    let decoder = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(match encoding {
            Encoding::Utf8 => encoding_rs::UTF_8,
            Encoding::Big5 => encoding_rs::BIG5,
        }))
        // A UTF-8 byte-order mark (the exports write one) is dropped whatever was chosen.
        .bom_override(true)
        .build(input.reader);
    let reader = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(decoder);
    let mut records = reader.into_records();
    let header = match records.next() {
        Some(Ok(h)) if h.iter().any(|c| c.contains('\u{FFFD}')) => bail!("{}: {WRONG_ENCODING}", input.name),
        Some(Ok(h)) => h.iter().map(|c| c.trim().to_lowercase()).collect(),
        Some(Err(e)) => bail!("{}: the header cannot be read: {}", input.name, csv_problem(&e)),
        None => bail!("{}: the file is empty (a header row is needed)", input.name),
    };
    // Bytes that are not in the chosen encoding decode to U+FFFD: the row is refused, never
    // imported with a replacement character in a name.
    let rows = records.map(|r| match r {
        Ok(r) if r.iter().any(|c| c.contains('\u{FFFD}')) => Err(WRONG_ENCODING.to_string()),
        Ok(r) => Ok(r.iter().map(csv_cell).collect()),
        Err(e) => Err(csv_problem(&e)),
    });
    Ok(Table { kind, source: input.name, header, rows: Box::new(rows) })
}

const WRONG_ENCODING: &str = "the text is not in the chosen encoding (try --encoding big5 or utf-8)";

fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => WRONG_ENCODING.into(),
        _ => format!("not readable as CSV: {e}"),
    }
}

/// A CSV cell as written: the exports put a `'` before text a spreadsheet would take for a
/// formula (API.md "Second edition — Input"); it is taken off again.
fn csv_cell(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_string(),
        _ => cell.to_string(),
    }
}

fn workbook(mut input: Input) -> anyhow::Result<Vec<Table>> {
    let mut bytes = Vec::new();
    input.reader.read_to_end(&mut bytes).with_context(|| format!("reading {}", input.name))?;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| anyhow!("{}: not a readable XLSX workbook: {e}", input.name))?;
    let sheets = book.sheet_names();
    let mut out = Vec::new();
    for sheet in &sheets {
        // A sheet is named after its kind; a workbook of one sheet may be named by its file.
        let kind = match Kind::of_name(sheet) {
            Some(kind) => kind,
            None if sheets.len() == 1 => Kind::of_name(&input.name).ok_or_else(|| unknown_kind(&input.name))?,
            None => continue,
        };
        let range = book.worksheet_range(sheet).map_err(|e| anyhow!("{} [{sheet}]: {e}", input.name))?;
        let mut rows = range.rows().map(|r| r.iter().map(xlsx_cell).collect::<Vec<String>>());
        let Some(header) = rows.next() else {
            bail!("{} [{sheet}]: the sheet is empty (a header row is needed)", input.name);
        };
        let header = header.iter().map(|c| c.trim().to_lowercase()).collect();
        let rows: Vec<Result<Vec<String>, String>> = rows.map(Ok).collect();
        out.push(Table { kind, source: format!("{} [{sheet}]", input.name), header, rows: Box::new(rows.into_iter()) });
    }
    if out.is_empty() {
        return Err(unknown_kind(&input.name));
    }
    Ok(out)
}

/// A workbook cell as text: whole numbers without a decimal point, dates as `YYYY-MM-DD`.
fn xlsx_cell(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(dt) if dt.time() == chrono::NaiveTime::MIN => dt.date().to_string(),
            Some(dt) => dt.to_string(),
            None => d.to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn unknown_kind(name: &str) -> anyhow::Error {
    anyhow!(
        "{name}: the file name does not say what it holds; name it after its records: {}",
        Kind::ALL.map(|k| format!("{}.csv", k.name())).join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, bytes: Vec<u8>, encoding: Encoding) -> (Vec<String>, Vec<Vec<String>>) {
        let mut t = tables(Input::bytes(name, bytes), encoding).unwrap();
        let t = t.remove(0);
        (t.header, t.rows.map(|r| r.unwrap()).collect())
    }

    #[test]
    fn big5_and_utf8_read_alike() {
        let text = "ref,name\nB1,大發健身股份有限公司\n";
        let (big5, _, bad) = encoding_rs::BIG5.encode(text);
        assert!(!bad);
        let from_big5 = read("businesses.csv", big5.into_owned(), Encoding::Big5);
        let mut with_bom = vec![0xEF, 0xBB, 0xBF];
        with_bom.extend_from_slice(text.as_bytes());
        let from_utf8 = read("businesses.csv", with_bom, Encoding::Utf8);
        assert_eq!(from_big5, from_utf8);
        assert_eq!(from_utf8.1[0][1], "大發健身股份有限公司");
    }

    #[test]
    fn the_exports_formula_guard_comes_off() {
        let (_, rows) = read("cases.csv", b"ref,description\nA,'=SUM(1)\nB,'plain\n".to_vec(), Encoding::Utf8);
        assert_eq!(rows[0][1], "=SUM(1)");
        assert_eq!(rows[1][1], "'plain");
    }

    #[test]
    fn big5_read_as_utf8_is_reported() {
        let (big5, _, _) = encoding_rs::BIG5.encode("ref,name\nB1,大發\n");
        let mut t = tables(Input::bytes("businesses.csv", big5.into_owned()), Encoding::Utf8).unwrap().remove(0);
        assert!(t.rows.next().unwrap().unwrap_err().contains("--encoding big5"));
    }
}
