//! Files in the real app: a customer's email, a reply with a PDF and a PNG
//! attached with the composer's Attach button (the native dialog answered
//! by `SWITCHBOARD_TEST_PICK_FILES`: a dialog cannot be driven over
//! WebDriver; everything after it is the app's), the mail the SMTP sink
//! receives carrying both as MIME parts with their names and bytes, and the
//! sent reply in the window showing both, the PNG previewed from a `blob:`
//! URL and the PDF saved through the save dialog (answered by
//! `SWITCHBOARD_TEST_SAVE_DIR`) with its bytes.

use std::time::{Duration, Instant};

use base64::Engine as _;
use fantoccini::Client as Browser;
use mail_parser::MimeHeaders;
use switchboard_api::{MessageKind, TransferRequest};
use switchboard_testkit::smtp::SmtpSink;

use crate::harness::{by_testid, DesktopSession};
use crate::page::{attr, click, count, open, send};
use crate::team::Team;

/// The attached PDF's name and bytes.
pub const PDF_NAME: &str = "invoice-1042.pdf";
pub const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
/// The attached PNG's name (a 16×16 red square).
pub const PNG_NAME: &str = "screenshot.png";
const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR4nGM4oaFBEmIY1TCqYfhqAAB8MxgQ+Pjr0gAAAABJRU5ErkJggg==";

pub fn png() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(PNG_B64)
        .expect("png")
}

/// The files the app's open dialog "returns" in these tests, in the order
/// the harness names them.
pub fn write_pick_files(desktop: &DesktopSession) {
    let dir = desktop.pick_dir();
    std::fs::create_dir_all(&dir).expect("pick dir");
    std::fs::write(dir.join(PDF_NAME), PDF).expect("pdf");
    std::fs::write(dir.join(PNG_NAME), png()).expect("png");
}

/// A customer's email, given to Ada; she replies with both files.
pub async fn a_reply_with_files(b: &Browser, desktop: &DesktopSession, team: &Team, ada_id: &str) {
    let sink = team
        .smtp
        .as_ref()
        .expect("the SMTP sink (python3-aiosmtpd, installed by cargo xtask setup)");
    let raw = "From: Grace Hopper <grace.files@customer.test>\r\nTo: support@acme.test\r\n\
               Subject: A copy of my invoice\r\nMessage-ID: <files-1@customer.test>\r\n\r\n\
               Could you send the invoice as a PDF, and a screenshot of the order?\r\n";
    let answer = switchboard_testkit::email::deliver(&team.url, raw).await;
    let id = answer["conversation_id"]
        .as_str()
        .expect("conversation id")
        .to_owned();
    team.admin
        .recategorize(&id, "billing")
        .await
        .expect("recategorize");
    team.admin
        .transfer(
            &id,
            &TransferRequest {
                to_agent_id: Some(ada_id.into()),
                to_category_id: None,
                note: None,
            },
        )
        .await
        .expect("give it to Ada");
    write_pick_files(desktop);
    click(b, "[data-testid=nav-mine]").await;
    open(b, &id).await;
    click(b, "[data-testid=composer-attach]").await;
    eventually!(
        "both files staged",
        count(b, "[data-testid=staged-file]").await == 2
    );
    send(b, "Here is your invoice and the screenshot.").await;

    // The customer's mail: both files as MIME parts, names and bytes.
    let mail = loop_until_mail(sink, "X-Envelope-To: grace.files@customer.test").await;
    let parsed = mail_parser::MessageParser::default()
        .parse(mail.as_bytes())
        .expect("a MIME message");
    let parts: Vec<(String, Vec<u8>)> = parsed
        .attachments()
        .map(|a| {
            (
                a.attachment_name().unwrap_or_default().to_owned(),
                a.contents().to_vec(),
            )
        })
        .collect();
    assert_eq!(
        parts,
        vec![
            (PDF_NAME.to_owned(), PDF.to_vec()),
            (PNG_NAME.to_owned(), png())
        ],
        "the mail's attachments"
    );
    eventually!("the reply with two files on the server", {
        let conv = team.admin.conversation(&id).await.expect("conv");
        conv.messages
            .iter()
            .filter(|m| m.kind == MessageKind::Agent && m.attachments.len() == 2)
            .count()
            == 1
    });

    // In the window: both listed, the PNG previewed from a blob: URL, the
    // PDF saved with its bytes.
    let png_row = "[data-testid=attachment][data-content-type='image/png']";
    let pdf_row = "[data-testid=attachment][data-content-type='application/pdf']";
    eventually!(
        "the sent reply's files in the window",
        count(b, "[data-testid=attachment]").await == 2
    );
    eventually!(
        "the PNG previewed from a blob: URL",
        attr(
            b,
            &format!("{png_row} [data-testid=attachment-preview]"),
            "src"
        )
        .await
        .is_some_and(|s| s.starts_with("blob:"))
    );
    // No WebDriver screenshot here: one taken with the preview on screen
    // hung WebKitWebDriver's session for good (one run in three).
    click(b, &format!("{pdf_row} [data-testid=attachment-save]")).await;
    let saved = desktop.save_dir().join(PDF_NAME);
    eventually!(
        "the PDF saved with its bytes",
        std::fs::read(&saved).ok().as_deref() == Some(PDF)
    );
    let name = by_testid(b, &format!("{pdf_row} [data-testid=attachment-name]"))
        .await
        .text()
        .await
        .expect("name");
    assert_eq!(name, PDF_NAME);
}

/// The first mail the sink received whose text holds `needle`.
async fn loop_until_mail(sink: &SmtpSink, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        if let Some(m) = sink.received().into_iter().find(|m| m.contains(needle)) {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "no mail with {needle:?} reached the SMTP sink"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
