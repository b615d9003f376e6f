//! Appointments at the Camera's desks ("Agenda"), as the widget and the
//! server exchange them. The booking data (the [`Person`]) travels only in
//! [`NewBooking`] and goes only to the appointments store: never into a
//! thread, the navigation data or a log line.

use serde::{Deserialize, Serialize};

/// `GET /api/v1/appointments/options?site=...`: what can be booked where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BookingOptions {
    pub services: Vec<ServiceOption>,
    pub offices: Vec<OfficeOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceOption {
    /// `spid`, `firma-digitale`, ...
    pub id: String,
    /// In the visitor's language.
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeOption {
    pub id: String,
    pub name: String,
    pub address: String,
    /// The ids of the services this office offers.
    pub services: Vec<String>,
}

/// `GET /api/v1/appointments/slots?site=&office=&service=&from=YYYY-MM-DD&days=N`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Availability {
    /// Only days on which the office is open, in order.
    pub days: Vec<DaySlots>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySlots {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub slots: Vec<SlotInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotInfo {
    /// `HH:MM`, the office's local time (Europe/Rome).
    pub start: String,
    /// `HH:MM`.
    pub end: String,
    /// Places still free (0: full, shown but not bookable).
    pub free: u32,
}

/// The visitor's details, as typed in the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub nome: String,
    pub cognome: String,
    pub codice_fiscale: String,
    pub telefono: String,
    pub email: String,
}

/// `POST /api/v1/appointments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBooking {
    pub site: String,
    /// UUID v4 made by the widget for this booking: a retry after a lost
    /// answer gets the same booking back instead of a second one.
    pub request_id: String,
    pub service: String,
    pub office: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`.
    pub start: String,
    pub person: Person,
    /// The visitor read the SOL notice (`assistant.booking_privacy_url`).
    pub privacy_acknowledged: bool,
    /// `it` or `en`: the language of the confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// `201` answer to [`NewBooking`] (and `200` for a repeated `request_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingConfirmation {
    /// What the visitor needs to cancel, with the e-mail address.
    pub code: String,
    pub service: String,
    pub office: String,
    pub address: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`.
    pub start: String,
    pub end: String,
    /// An iCalendar file (RFC 5545) of the appointment.
    pub ics: String,
}

/// `422` answer: what is wrong, field by field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FieldErrors {
    pub error: String,
    pub fields: Vec<FieldError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// `nome`, `cognome`, `codice_fiscale`, `telefono`, `email`,
    /// `privacy_acknowledged`, `service`, `office`, `date`, `start`.
    pub field: String,
    /// A stable code (`missing`, `format`, `check_character`, ...).
    pub code: String,
    /// A sentence for the visitor, in the request's language.
    pub message: String,
}

/// `POST /api/v1/appointments/{code}/cancel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelBooking {
    pub site: String,
    pub email: String,
}
