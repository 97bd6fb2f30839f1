//! Who `idp find` and `idp offboard plan` look up: `--email`, `--username`, and `--from` (one
//! query per line, or a CSV with a header row). Every query is checked before the first
//! request: one invalid query is a usage error and nothing is sent.

use idp::UserQuery;

use crate::args::QueryArgs;
use crate::exit::UsageError;
use crate::lines::Source;

/// Every query, checked, each distinct one once, in the order given.
pub fn read(args: &QueryArgs) -> Result<Vec<UserQuery>, UsageError> {
    let mut raw: Vec<(String, bool)> = Vec::new();
    raw.extend(args.email.iter().map(|e| (e.clone(), true)));
    raw.extend(args.username.iter().map(|u| (u.clone(), false)));
    if let Some(path) = &args.from {
        let mut source = Source::open(path)?;
        let name = source.name().to_owned();
        let text = source.read_all_text()?;
        let first_line = text.lines().next().unwrap_or_default();
        let values = if args.column.is_some() || first_line.contains(',') {
            csv_column(&text, args.column.as_deref(), &name)?
        } else {
            plain_lines(&text)
        };
        raw.extend(values.into_iter().map(|v| {
            let is_email = v.contains('@');
            (v, is_email)
        }));
    }
    let mut queries: Vec<UserQuery> = Vec::new();
    for (value, is_email) in raw {
        let query = if is_email {
            UserQuery::email(&value)
        } else {
            UserQuery::username(&value)
        }
        .map_err(|e| UsageError(format!("invalid query (nothing was sent): {}", e.message())))?;
        if !queries.contains(&query) {
            queries.push(query);
        }
    }
    if queries.is_empty() {
        return Err(UsageError(
            "no one to look up: give --email, --username or --from FILE".to_owned(),
        ));
    }
    Ok(queries)
}

/// One query per line; blank lines and `#` comments skipped.
fn plain_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The values of one CSV column: `column` (case-insensitive), or the one named `email`.
fn csv_column(text: &str, column: Option<&str>, source: &str) -> Result<Vec<String>, UsageError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| UsageError(format!("{source} is not a readable CSV file: {e}")))?
        .clone();
    let wanted = column.unwrap_or("email");
    let index = headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case(wanted))
        .ok_or_else(|| {
            let names: Vec<&str> = headers.iter().collect();
            UsageError(format!(
                "{source} has no column {wanted:?} (its columns: {}); choose one with --column",
                names.join(", ")
            ))
        })?;
    let mut values = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record
            .map_err(|e| UsageError(format!("{source} row {} is not valid CSV: {e}", row + 2)))?;
        if let Some(value) = record.get(index).map(str::trim).filter(|v| !v.is_empty()) {
            values.push(value.to_owned());
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_by_header() {
        let text =
            "Name,Email,Team\n\"Doe, Jane\",jane@example.com,ops\nJohn,\"john@example.com\",dev\n";
        assert_eq!(
            csv_column(text, None, "f").ok(),
            Some(vec![
                "jane@example.com".to_owned(),
                "john@example.com".to_owned()
            ])
        );
        assert_eq!(
            csv_column(text, Some("team"), "f").ok(),
            Some(vec!["ops".to_owned(), "dev".to_owned()])
        );
        assert!(csv_column(text, Some("mail"), "f").is_err());
    }
}
