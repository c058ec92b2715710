//! CSV records from a body that arrives in chunks: [`csv_core`] (the `csv` crate's parser,
//! without its `Read`-based reader) fed as the bytes come, so an export is parsed while it
//! downloads and its raw text is never held whole.

use csv_core::{ReadRecordResult, Reader};

/// A push parser of RFC 4180 records (quoted fields, `""` escapes, CRLF or LF line ends).
pub(crate) struct CsvStream {
    reader: Reader,
    /// The current record's unescaped field bytes, contiguous.
    fields: Vec<u8>,
    /// Where each field of the current record ends in `fields`.
    ends: Vec<usize>,
    fields_len: usize,
    ends_len: usize,
}

impl CsvStream {
    pub(crate) fn new() -> Self {
        CsvStream { reader: Reader::new(), fields: vec![0; 1024], ends: vec![0; 32], fields_len: 0, ends_len: 0 }
    }

    /// Parses `input` (any slice of the body), handing every record completed in it to
    /// `on_record`; a record cut by the chunk's end is finished by the next call.
    pub(crate) fn feed<E>(
        &mut self,
        mut input: &[u8],
        on_record: &mut impl FnMut(Vec<String>) -> Result<(), E>,
    ) -> Result<(), E> {
        // An empty input means "end of data" to csv_core: only `finish` may pass one.
        while !input.is_empty() {
            let consumed = self.step(input, on_record)?;
            input = &input[consumed..];
        }
        Ok(())
    }

    /// Ends the body: the last record may lack its line end.
    pub(crate) fn finish<E>(&mut self, on_record: &mut impl FnMut(Vec<String>) -> Result<(), E>) -> Result<(), E> {
        loop {
            let (result, _, nout, nend) =
                self.reader.read_record(&[], &mut self.fields[self.fields_len..], &mut self.ends[self.ends_len..]);
            self.fields_len += nout;
            self.ends_len += nend;
            match result {
                ReadRecordResult::End => return Ok(()),
                ReadRecordResult::Record => on_record(self.take_record())?,
                ReadRecordResult::OutputFull => self.fields.resize(self.fields.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::InputEmpty => {}
            }
        }
    }

    /// One call of the parser on non-empty `input`; returns the bytes it consumed.
    fn step<E>(&mut self, input: &[u8], on_record: &mut impl FnMut(Vec<String>) -> Result<(), E>) -> Result<usize, E> {
        let (result, nin, nout, nend) =
            self.reader.read_record(input, &mut self.fields[self.fields_len..], &mut self.ends[self.ends_len..]);
        self.fields_len += nout;
        self.ends_len += nend;
        match result {
            ReadRecordResult::Record => on_record(self.take_record())?,
            ReadRecordResult::OutputFull => self.fields.resize(self.fields.len() * 2, 0),
            ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
            ReadRecordResult::InputEmpty | ReadRecordResult::End => {}
        }
        Ok(nin)
    }

    /// The completed record's fields (invalid UTF-8 replaced, as for any server text).
    fn take_record(&mut self) -> Vec<String> {
        let mut start = 0;
        let record = self.ends[..self.ends_len]
            .iter()
            .map(|&end| {
                let field = String::from_utf8_lossy(&self.fields[start..end]).into_owned();
                start = end;
                field
            })
            .collect();
        self.fields_len = 0;
        self.ends_len = 0;
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_chunks(body: &[u8], chunk: usize) -> Vec<Vec<String>> {
        let mut records = Vec::new();
        let mut push = |record: Vec<String>| -> Result<(), ()> {
            records.push(record);
            Ok(())
        };
        let mut stream = CsvStream::new();
        for piece in body.chunks(chunk) {
            stream.feed(piece, &mut push).unwrap();
        }
        stream.finish(&mut push).unwrap();
        records
    }

    #[test]
    fn records_come_out_the_same_whatever_the_chunking() {
        let long = "x".repeat(5000);
        let body = format!(
            "a,b,c\r\n1,\"two, with \"\"quotes\"\"\",\"three\r\nlines\"\r\n,,\r\n{long},é,last-without-newline"
        );
        let expected = vec![
            vec!["a", "b", "c"],
            vec!["1", "two, with \"quotes\"", "three\r\nlines"],
            vec!["", "", ""],
            vec![long.as_str(), "é", "last-without-newline"],
        ];
        for chunk in [1, 2, 3, 7, 64, 4096, body.len()] {
            assert_eq!(parse_in_chunks(body.as_bytes(), chunk), expected, "chunks of {chunk}");
        }
        let many_fields = vec!["f"; 100].join(",");
        assert_eq!(parse_in_chunks(many_fields.as_bytes(), 5)[0].len(), 100);
        assert!(parse_in_chunks(b"", 1).is_empty());
    }
}
