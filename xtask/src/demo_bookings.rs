//! A few bookings on the demo's agenda, so that the console's "Agenda degli
//! sportelli" has something to show: made through the booking API of the
//! running demo as a visitor would (their confirmations reach the demo's
//! mail catcher). Made once per slot: a request id is derived from the
//! slot, so running the demo again books nothing twice.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;

const ORIGIN: &str = "http://127.0.0.1:8080";

/// The people of the demo's bookings (fictitious), each with a codice
/// fiscale made valid by its check character.
const PEOPLE: [(&str, &str, &str); 4] = [
    ("Maria", "Bianchi", "BNCMRA80A41F205"),
    ("Luca", "Ferrari", "FRRLCU75C12F704"),
    ("Chiara", "Romano", "RMNCHR92E55E514"),
    ("Giorgio", "Colombo", "CLMGRG68H20F205"),
];

/// One HTTP/1.1 exchange with the demo on `port`: the status and the body.
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .with_context(|| format!("the demo does not answer on port {port}"))?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {ORIGIN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").context("an HTTP answer")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("an HTTP status")?;
    Ok((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

/// A request id (a UUID v4 in form) that is the same for the same slot.
fn request_id(date: &str, start: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("varco demo {date} {start}").bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        (h >> 20) & 0xfff,
        h & 0xffff_ffff_ffff
    )
}

fn codice_fiscale(first15: &str) -> String {
    ('A'..='Z')
        .map(|c| format!("{first15}{c}"))
        .find(|cf| varco_core::booking::check_codice_fiscale(cf).is_ok())
        .unwrap_or_else(|| format!("{first15}X"))
}

/// Books four appointments at the Milan office in the next open days
/// (SPID), unless they are there already; prints what it did.
pub fn seed(port: u16) -> Result<()> {
    let (status, slots) = http(
        port,
        "GET",
        "/api/v1/appointments/slots?site=milomb&office=milano&service=spid&days=10",
        None,
    )?;
    if status != 200 {
        bail!("the demo's free slots: HTTP {status}");
    }
    let mut chosen = Vec::new();
    for day in slots["days"].as_array().into_iter().flatten() {
        let free: Vec<&Value> = day["slots"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["free"].as_u64().unwrap_or(0) > 0)
            .collect();
        for slot in free.iter().step_by(3).take(2) {
            chosen.push((
                day["date"].as_str().unwrap_or_default().to_owned(),
                slot["start"].as_str().unwrap_or_default().to_owned(),
            ));
        }
        if chosen.len() >= PEOPLE.len() {
            break;
        }
    }
    let mut booked = 0;
    for ((date, start), (nome, cognome, cf)) in chosen.iter().zip(PEOPLE) {
        let (status, _) = http(
            port,
            "POST",
            "/api/v1/appointments",
            Some(&json!({
                "site": "milomb", "request_id": request_id(date, start), "service": "spid",
                "office": "milano", "date": date, "start": start, "language": "it",
                "privacy_acknowledged": true,
                "person": {"nome": nome, "cognome": cognome, "codice_fiscale": codice_fiscale(cf),
                           "telefono": "02 8515 4000",
                           "email": format!("{}.{}@example.it", nome.to_lowercase(), cognome.to_lowercase())},
            })),
        )?;
        match status {
            201 => booked += 1,
            200 => {}
            other => eprintln!("demo booking on {date} at {start}: HTTP {other}"),
        }
    }
    if booked > 0 {
        println!("  {booked} demo bookings added to the agenda (their e-mails are at /demo-mail)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_slot_always_gets_the_same_uuid_v4() {
        let id = super::request_id("2026-12-09", "09:20");
        assert_eq!(id, super::request_id("2026-12-09", "09:20"));
        assert_ne!(id, super::request_id("2026-12-09", "09:40"));
        assert!(varco_core::consent::is_uuid_v4(&id), "{id}");
        for (_, _, cf) in super::PEOPLE {
            let cf = super::codice_fiscale(cf);
            assert!(
                varco_core::booking::check_codice_fiscale(&cf).is_ok(),
                "{cf}"
            );
        }
    }
}
