//! Register a phone as an authenticator, as the vendor guide does it:
//! enroll → show the QR code / deep link → poll status → verify (status + introspect).
//!
//! Without configuration it runs against an embedded emulator whose simulated phone
//! approves after a second. Against a real instance:
//! `AUTHCLOUD_INSTANCE=acme AUTHCLOUD_ACCESS_KEY=… cargo run -p authcloud-example -- u12345`
//! (then scan the QR code saved next to you with the Authentication Cloud app).

use std::time::Duration;

use authcloud::{Client, EnrollRequest, StatusUpdate, VerifyOptions, WaitObserver, WaitOptions};
use authcloud_emulator::{Emulator, EmulatorConfig};

/// Prints each status the poller sees.
struct Progress;

impl WaitObserver for Progress {
    fn on_status(&self, update: &StatusUpdate) {
        println!("  poll {:>2} after {:>5} ms: {}", update.poll, update.elapsed.as_millis(), update.status.status);
    }
    fn on_transient_error(&self, error: &authcloud::Error, retry_in: Duration) {
        println!("  (transient: {error}; retrying in {} ms)", retry_in.as_millis());
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let username = std::env::args().nth(1).unwrap_or_else(|| "u12345".to_owned());

    // 1. A client for the backend, holding the access key (servers only).
    let (client, emulator) = match (std::env::var("AUTHCLOUD_INSTANCE"), std::env::var("AUTHCLOUD_ACCESS_KEY")) {
        (Ok(instance), Ok(key)) => (Client::builder().instance(instance).access_key(key).build()?, None),
        _ => {
            let emulator = Emulator::start(EmulatorConfig {
                auto_approve_after: Some(Duration::from_secs(1)),
                ..Default::default()
            })
            .await?;
            println!("Using the embedded emulator at {}", emulator.base_url());
            let client = Client::builder().base_url(emulator.base_url()).access_key(emulator.access_key()).build()?;
            (client, Some(emulator))
        }
    };

    // 2. Start the registration.
    let enrolled = client.enroll(&EnrollRequest::username(&username)).await?;
    let user_status = enrolled.user.status.as_ref().map_or("(not given)", |s| s.as_str());
    println!("User {} ({}) is {}", enrolled.user.user_id, username, user_status);

    // 3. Show the QR code and the deep link to the user. The enrollment exists whatever
    //    they look like: each is checked when used, and one of them is enough.
    match enrolled.enrollment.qr_code.png_bytes() {
        Ok(png) => {
            let qr_path = std::env::temp_dir().join("authcloud-enrollment-qr.png");
            std::fs::write(&qr_path, &png)?;
            println!("Scan {} ({} bytes), or open the link on the phone.", qr_path.display(), png.len());
        }
        Err(e) => println!("No usable QR code ({e}); open the link on the phone."),
    }
    match enrolled.enrollment.app_link_uri.href() {
        Ok(link) => println!("  {link}"),
        Err(e) => println!("  (no usable deep link: {e})"),
    }

    // 4. Poll the status every 1.5 s (the guide's interval) until the user acts.
    let token = &enrolled.enrollment.status_token;
    let outcome = client.wait_for_completion(token, &WaitOptions::default(), &Progress).await?;
    if !outcome.succeeded() {
        println!("Registration ended with status `{}`", outcome.status.status);
        std::process::exit(3);
    }

    // 5. Verify on the backend (status + introspect) before linking the user to our
    //    records, bound to the user and operation this session started.
    let options = VerifyOptions::default()
        .expect_user(&enrolled.user.user_id)
        .expect_transaction(&enrolled.enrollment.transaction_id);
    let verified = client.verify(token, &options).await?;
    println!(
        "Verified: user {} ({}), token active={} sub={}",
        verified.user_id,
        verified.username.as_deref().unwrap_or("-"),
        verified.introspection.active,
        verified.introspection.sub.as_deref().unwrap_or("-"),
    );
    if let Some(emulator) = emulator {
        emulator.stop().await;
    }
    Ok(())
}
