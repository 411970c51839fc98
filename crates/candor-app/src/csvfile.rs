//! Reading a CSV file as the tools people leave write it: UTF-8 with or without a
//! byte-order mark, UTF-16 with one, or Windows-1252 (Excel's "CSV" on a French
//! Windows); cells separated by `,`, `;` or a tab. What was found is reported, so the
//! import's summary can say how it read the file.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// How a file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileFormat {
    pub encoding: &'static encoding_rs::Encoding,
    /// The file starts with a byte-order mark.
    pub bom: bool,
    pub delimiter: u8,
}

impl FileFormat {
    /// `UTF-8 with BOM, ';'-separated`, for summaries.
    pub fn describe(&self) -> String {
        let sep = match self.delimiter {
            b'\t' => "tab".to_owned(),
            d => format!("'{}'", d as char),
        };
        format!(
            "{}{}, {sep}-separated",
            self.encoding.name(),
            if self.bom { " with BOM" } else { "" }
        )
    }
}

/// Bytes read to tell the encoding and the separator.
const SNIFF: usize = 64 * 1024;

/// Tells the encoding (a BOM, or valid UTF-8, else Windows-1252) and the separator (the
/// most frequent of `,` `;` tab outside quotes on the header line).
pub fn sniff(path: &Path) -> io::Result<FileFormat> {
    let mut f = File::open(path)?;
    let mut buf = Vec::with_capacity(SNIFF);
    f.by_ref().take(SNIFF as u64).read_to_end(&mut buf)?;
    let (encoding, bom) = match encoding_rs::Encoding::for_bom(&buf) {
        Some((enc, _)) => (enc, true),
        None => match std::str::from_utf8(&buf) {
            Ok(_) => (encoding_rs::UTF_8, false),
            // Cut in the middle of a character by the sniff: still UTF-8.
            Err(e) if e.error_len().is_none() => (encoding_rs::UTF_8, false),
            Err(_) => (encoding_rs::WINDOWS_1252, false),
        },
    };
    let (text, _, _) = encoding.decode(&buf);
    let header = first_line(&text);
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .map(|d| (count_outside_quotes(header, d as char), d))
        .max_by_key(|(n, d)| (*n, *d == b','))
        .filter(|(n, _)| *n > 0)
        .map_or(b',', |(_, d)| d);
    Ok(FileFormat {
        encoding,
        bom,
        delimiter,
    })
}

fn first_line(text: &str) -> &str {
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => return &text[..i],
            _ => {}
        }
    }
    text
}

fn count_outside_quotes(line: &str, d: char) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for c in line.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if c == d && !quoted {
            n += 1;
        }
    }
    n
}

/// A CSV reader over the file in UTF-8, whatever its encoding: UTF-8 is read as it is
/// (after its BOM), other encodings through a streaming decoder, so memory stays flat.
pub fn open(path: &Path, format: &FileFormat) -> io::Result<csv::Reader<Box<dyn Read + Send>>> {
    let mut f = File::open(path)?;
    let input: Box<dyn Read + Send> = if format.encoding == encoding_rs::UTF_8 {
        if format.bom {
            f.seek(SeekFrom::Start(3))?;
        }
        Box::new(f)
    } else {
        Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(format.encoding))
                .bom_sniffing(true)
                .strip_bom(true)
                .build(f),
        )
    };
    Ok(csv::ReaderBuilder::new()
        .delimiter(format.delimiter)
        .flexible(true)
        .from_reader(input))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bytes: &[u8]) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("candor-csv-{}", uuid::Uuid::now_v7()));
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn read_all(p: &Path) -> (FileFormat, Vec<Vec<String>>) {
        let f = sniff(p).unwrap();
        let mut r = open(p, &f).unwrap();
        let mut rows = vec![r.headers().unwrap().iter().map(str::to_owned).collect()];
        for rec in r.records() {
            rows.push(rec.unwrap().iter().map(str::to_owned).collect());
        }
        (f, rows)
    }

    #[test]
    fn brevo_utf8_with_bom_and_semicolons() {
        let p = file("\u{feff}EMAIL;NOM;PRENOM\nzoe@example.fr;Lefèvre;Zoé\n".as_bytes());
        let (f, rows) = read_all(&p);
        assert_eq!(
            (f.encoding, f.bom, f.delimiter),
            (encoding_rs::UTF_8, true, b';')
        );
        assert_eq!(
            rows[0],
            ["EMAIL", "NOM", "PRENOM"],
            "the BOM is not part of the first header"
        );
        assert_eq!(rows[1][1], "Lefèvre");
        assert_eq!(f.describe(), "UTF-8 with BOM, ';'-separated");
    }

    #[test]
    fn windows_1252_is_decoded() {
        // "Nom,Ville\nLefèvre,Besançon" in Windows-1252 (è = 0xE8, ç = 0xE7).
        let p = file(b"Nom\tVille\nLef\xe8vre\tBesan\xe7on\n");
        let (f, rows) = read_all(&p);
        assert_eq!(
            (f.encoding, f.delimiter),
            (encoding_rs::WINDOWS_1252, b'\t')
        );
        assert_eq!(rows[1], ["Lefèvre", "Besançon"]);
    }

    #[test]
    fn utf16_with_its_bom_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "Nom;Ville\nLefèvre;Besançon\n".encode_utf16() {
            bytes.extend(u.to_le_bytes());
        }
        let p = file(&bytes);
        let (f, rows) = read_all(&p);
        assert_eq!(
            (f.encoding, f.bom, f.delimiter),
            (encoding_rs::UTF_16LE, true, b';')
        );
        assert_eq!(rows[0], ["Nom", "Ville"]);
        assert_eq!(rows[1], ["Lefèvre", "Besançon"]);
    }

    #[test]
    fn separators_inside_quotes_do_not_count() {
        let p = file(b"\"Name; with; semicolons\",Email,Phone\nA,b@example.org,1\n");
        assert_eq!(sniff(&p).unwrap().delimiter, b',');
    }
}
