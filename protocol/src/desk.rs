//! The desk agenda of the operator console (`/operator/api/agenda` and the
//! calls that change a booking or close a day): what staff with the desk
//! role see and send.

use serde::{Deserialize, Serialize};

/// An office or a service of the site, for the agenda's filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaChoice {
    pub id: String,
    pub name: String,
}

/// A booking as the desk sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaBooking {
    pub code: String,
    /// `YYYY-MM-DD`, and the times `HH:MM`, Italian time.
    pub date: String,
    pub start: String,
    pub end: String,
    pub service: String,
    pub service_title: String,
    pub office: String,
    pub office_name: String,
    pub nome: String,
    pub cognome: String,
    pub codice_fiscale: String,
    pub telefono: String,
    pub email: String,
    /// `booked`, `attended`, `no_show` or `cancelled`.
    pub status: String,
    /// Who cancelled it: an operator's username, or `visitor`.
    pub cancelled_by: Option<String>,
    pub cancel_reason: Option<String>,
}

/// A day closed from the console; `office` `*` is every office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaClosedDay {
    pub office: String,
    pub office_name: String,
    pub date: String,
    pub reason: String,
    pub closed_by: String,
}

/// `GET /operator/api/agenda?site=&from=&days=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agenda {
    pub site: String,
    pub from: String,
    pub days: u16,
    pub offices: Vec<AgendaChoice>,
    pub services: Vec<AgendaChoice>,
    pub bookings: Vec<AgendaBooking>,
    /// Closed from the console, from `from` on.
    pub closed_days: Vec<AgendaClosedDay>,
}

/// `POST /operator/api/appointments/{code}/outcome`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetOutcome {
    pub site: String,
    /// `attended`, `no_show`, or `pending` to take it back.
    pub outcome: String,
}

/// `POST /operator/api/appointments/{code}/cancel`: the visitor is told by
/// e-mail, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeCancel {
    pub site: String,
    pub reason: String,
}

/// The answer to an office's cancellation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeCancelled {
    /// Whether an e-mail tells the visitor (the server sends e-mail).
    pub visitor_emailed: bool,
}

/// `POST /operator/api/closed-days` (close) and
/// `POST /operator/api/closed-days/remove` (open again; `reason` unused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseDay {
    pub site: String,
    pub office: String,
    pub date: String,
    #[serde(default)]
    pub reason: String,
}

/// The answer to closing a day: the bookings still active on it, which
/// staff cancel one by one (each visitor told why).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayClosed {
    pub active_bookings: u32,
}
