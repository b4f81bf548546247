//! The readers, the writers and the folder configuration, on a local folder.

use super::*;
use crate::model::Result;
use serde::{Deserialize, Serialize};
use std::io::Cursor;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Row {
    id: String,
    quantity: u32,
}

fn row(id: &str, quantity: u32) -> Row {
    Row { id: id.into(), quantity }
}

async fn all<T>(mut records: Records<T>) -> Result<Vec<T>> {
    let mut all = Vec::new();
    while let Some(record) = records.next().await? {
        all.push(record);
    }
    Ok(all)
}

#[tokio::test]
async fn json_lines_skip_blank_lines_and_name_the_line_that_does_not_decode() {
    let text = "{\"id\":\"a\",\"quantity\":1}\n\n{\"id\":\"b\",\"quantity\":2}\n{\"id\":\"c\",\"quantity\":\"x\"}\n";
    let mut records = Records::<Row>::json_lines("in/rows.jsonl", Cursor::new(text.as_bytes().to_vec()));
    assert_eq!(records.next().await.unwrap(), Some(row("a", 1)));
    assert_eq!(records.next().await.unwrap(), Some(row("b", 2)));
    let error = records.next().await.unwrap_err();
    assert!(error.is_permanent());
    assert!(error.to_string().starts_with("`in/rows.jsonl` line 4: invalid type"), "{error}");
}

#[tokio::test]
async fn xml_records_are_the_named_elements_at_any_depth_and_a_bad_one_names_its_line() {
    let text = r#"<?xml version="1.0"?>
<export>
  <batch>
    <row><id>a</id><quantity>1</quantity></row>
    <row id="b"
         quantity="2"/>
  </batch>
  <row>
    <id>c</id>
    <quantity>many</quantity>
  </row>
</export>
"#;
    #[derive(Debug, PartialEq, Deserialize)]
    struct XmlRow {
        #[serde(alias = "@id")]
        id: String,
        #[serde(alias = "@quantity")]
        quantity: u32,
    }
    let mut records = Records::<XmlRow>::xml("rows.xml", Cursor::new(text.as_bytes().to_vec()), "row");
    assert_eq!(records.next().await.unwrap(), Some(XmlRow { id: "a".into(), quantity: 1 }));
    assert_eq!(records.next().await.unwrap(), Some(XmlRow { id: "b".into(), quantity: 2 }));
    let error = records.next().await.unwrap_err();
    assert!(error.to_string().starts_with("`rows.xml` line 8: "), "{error}");
}

#[tokio::test]
async fn csv_names_the_line_of_a_row_that_does_not_decode() {
    let text = "id,quantity\na,1\nb,two\n";
    let mut records = Records::<Row>::csv("rows.csv", Cursor::new(text.as_bytes().to_vec()));
    assert_eq!(records.next().await.unwrap(), Some(row("a", 1)));
    let error = records.next().await.unwrap_err();
    assert!(error.is_permanent());
    assert!(error.to_string().starts_with("`rows.csv` line 3: record 2: field 2"), "{error}");
}

/// Each format written by `export` reads back the same through its reader.
#[tokio::test]
async fn what_each_writer_writes_its_reader_reads_back() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let folder = Folder::local(dir.path());
    let rows = [row("a", 1), row("b, \"quoted\"", 2)];
    let read = |name: &str| Cursor::new(std::fs::read(dir.path().join(name)).unwrap());

    let mut csv = export(&folder, "out/rows.csv").csv::<Row>().await?;
    let mut lines = export(&folder, "out/rows.jsonl").json_lines::<Row>().await?;
    let mut xml = export(&folder, "out/rows.xml").xml::<Row>("rows", "row").await?;
    for row in &rows {
        csv.write(row).await?;
        lines.write(row).await?;
        xml.write(row).await?;
    }
    assert_eq!(csv.finish().await?, Exported { path: "out/rows.csv".into(), records: 2 });
    lines.finish().await?;
    xml.finish().await?;
    assert_eq!(all(Records::<Row>::csv("rows.csv", read("out/rows.csv"))).await?, rows);
    assert_eq!(all(Records::<Row>::json_lines("rows.jsonl", read("out/rows.jsonl"))).await?, rows);
    assert_eq!(all(Records::<Row>::xml("rows.xml", read("out/rows.xml"), "row")).await?, rows);
    Ok(())
}

/// A file larger than the upload's buffer is not at its path until finished, and a writer
/// dropped unfinished leaves nothing there.
#[tokio::test]
async fn an_export_appears_whole_or_not_at_all() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let folder = Folder::local(dir.path());
    let path = dir.path().join("big.jsonl");
    let mut writer = export(&folder, "big.jsonl").json_lines::<Row>().await?;
    let rows = 400_000;
    for n in 0..rows {
        writer.write(&row(&format!("row-{n:08}"), n)).await?;
    }
    assert!(!path.exists(), "the file is visible before it is finished");
    writer.finish().await?;
    let written = std::fs::read_to_string(&path)?;
    assert!(written.len() > super::object::UPLOAD_BUFFER, "{} bytes do not need a multipart upload", written.len());
    assert_eq!(written.lines().count(), rows as usize);

    let mut dropped = export(&folder, "dropped.jsonl").json_lines::<Row>().await?;
    for n in 0..rows {
        dropped.write(&row("x", n)).await?;
    }
    drop(dropped);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let left: Vec<_> = std::fs::read_dir(dir.path())?.map(|entry| entry.unwrap().file_name()).collect();
    assert_eq!(left, ["big.jsonl"]);
    Ok(())
}

/// The message a folder's configuration is refused with.
fn refused(toml: &str) -> String {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Settings {
        drop: Folder,
    }
    toml::from_str::<Settings>(toml).unwrap_err().message().to_owned()
}

#[test]
fn a_folder_configuration_that_cannot_work_is_refused_with_what_would() {
    let misplaced = refused("[drop]\nurl = \"/var/drop\"\nregion = \"eu-west-1\"");
    assert_eq!(misplaced, "`region` is not a setting of a local folder (`/var/drop`)");
    let scheme = refused("drop = \"ftp://erp@example.com/out\"");
    assert!(scheme.contains("not ftp://"), "{scheme}");
    let unknown = refused("[drop]\nurl = \"/var/drop\"\npasword = \"p\"");
    assert!(unknown.contains("unknown field `pasword`"), "{unknown}");
}

#[cfg(feature = "sftp")]
#[test]
fn an_sftp_folder_needs_its_host_key_and_a_login() {
    let no_key = refused("[drop]\nurl = \"sftp://erp@sftp.example.com/out\"\npassword = \"p\"");
    assert!(no_key.contains("has no `host_key`") && no_key.contains("ssh-keyscan sftp.example.com"), "{no_key}");
    let no_login = refused("[drop]\nurl = \"sftp://erp@sftp.example.com/out\"\nhost_key = \"SHA256:x\"");
    assert!(no_login.contains("neither `password` nor `private_key`"), "{no_login}");
}

#[cfg(feature = "s3")]
#[test]
fn an_s3_folder_needs_its_bucket() {
    let no_bucket = refused("drop = \"s3:///prefix\"");
    assert!(no_bucket.contains("names no bucket"), "{no_bucket}");
}

/// In a build without the feature, the folder is refused when the configuration is read, and
/// the message names the feature.
#[cfg(not(feature = "sftp"))]
#[test]
fn an_sftp_folder_without_the_feature_names_it() {
    let refused =
        refused("[drop]\nurl = \"sftp://erp@sftp.example.com/out\"\nhost_key = \"SHA256:x\"\npassword = \"p\"");
    assert!(refused.contains("built without aqueduct's `sftp` feature"), "{refused}");
}

#[cfg(feature = "sftp")]
#[test]
fn a_folder_is_shown_without_its_password() {
    #[derive(Deserialize)]
    struct Settings {
        drop: Folder,
    }
    let settings: Settings =
        toml::from_str("[drop]\nurl = \"sftp://erp:hunter2@sftp.example.com:2222/out\"\nhost_key = \"SHA256:x\"")
            .unwrap();
    assert_eq!(settings.drop.to_string(), "sftp://erp@sftp.example.com:2222/out");
    assert!(!format!("{:?}", settings.drop).contains("hunter2"));
}
