//! The widget's texts, in Italian and English.
//!
//! Every text has a key; a site may override any of them per language in its
//! configuration (`texts.it.banner_title`, ...). The Italian defaults are
//! written as a public administration would publish them: plain, short, in
//! the second person singular used by Designers Italia.

use crate::lang::Lang;
use varco_protocol::SortedMap;

/// A key of the widget's texts. Two enums, so that the light part's
/// module carries only its own texts: a `match` over one enum would bring
/// every text of both languages into each module that reads any of them.
pub trait TextKey: Copy {
    /// The key's name, as used in configuration overrides.
    fn name(self) -> &'static str;
    /// The built-in text.
    fn default_text(self, lang: Lang) -> &'static str;
}

macro_rules! texts {
    ($(#[$doc:meta])* $enum:ident; $( $key:ident => ($it:expr, $en:expr) ),* $(,)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(non_camel_case_types)]
        pub enum $enum { $( $key ),* }

        impl TextKey for $enum {
            fn name(self) -> &'static str {
                match self { $( $enum::$key => stringify!($key) ),* }
            }

            fn default_text(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $( ($enum::$key, Lang::It) => $it, ($enum::$key, Lang::En) => $en, )*
                }
            }
        }
    };
}

texts! {
    /// A text of the light part: the banner, the preferences, the launchers
    /// and the placeholders of blocked content (both modules carry these).
    Key;
    banner_label => ("Informativa sui cookie", "Cookie notice"),
    banner_title => ("Rispettiamo la tua privacy", "We respect your privacy"),
    banner_technical => (
        "Questo sito usa cookie tecnici, necessari al suo funzionamento.",
        "This site uses technical cookies, which it needs to work."
    ),
    banner_purposes => (
        "Solo con il tuo consenso useremo anche altri strumenti di tracciamento, per queste finalità:",
        "Only with your consent will we also use other tracking tools, for these purposes:"
    ),
    banner_close_note => (
        "Se chiudi il banner con la X, restano attive le impostazioni predefinite: solo cookie tecnici. Puoi cambiare idea in ogni momento dal link «Preferenze cookie» in fondo alla pagina.",
        "If you close this banner with the X, the default settings stay: technical cookies only. You can change your mind at any time from the “Cookie preferences” link at the bottom of the page."
    ),
    cookie_policy_link => ("Leggi la cookie policy", "Read the cookie policy"),
    accept_all => ("Accetta tutti", "Accept all"),
    reject_all => ("Rifiuta tutti", "Reject all"),
    customise => ("Personalizza", "Customise"),
    close_banner => ("Chiudi e continua senza accettare", "Close and continue without accepting"),
    // The first control of the page while the banner is up.
    skip_to_banner => ("Vai all'informativa sui cookie", "Skip to the cookie notice"),
    new_tab => ("(si apre in una nuova scheda)", "(opens in a new tab)"),
    banner_changed => (
        "Abbiamo aggiornato l'informativa sui cookie: ti chiediamo di nuovo le tue preferenze.",
        "We have updated our cookie policy, so we are asking for your preferences again."
    ),
    banner_new_categories => ("Novità:", "What is new:"),
    prefs_title => ("Preferenze sui cookie", "Cookie preferences"),
    prefs_intro => (
        "Scegli quali strumenti di tracciamento autorizzare. I cookie necessari sono sempre attivi. Puoi cambiare le tue scelte in ogni momento.",
        "Choose which tracking tools to allow. Necessary cookies are always on. You can change your choices at any time."
    ),
    prefs_save => ("Salva le mie scelte", "Save my choices"),
    prefs_close => ("Chiudi senza salvare", "Close without saving"),
    // The privacy centre ("I tuoi dati").
    privacy_open => ("I tuoi dati", "Your data"),
    privacy_consent_not_needed => (
        "Nessuna scelta da fare: questo sito usa solo cookie tecnici, che non richiedono il consenso.",
        "No choice to make: this website uses technical cookies only, which need no consent."
    ),
    prefs_always_on => ("Sempre attivi", "Always on"),
    prefs_services => ("Servizi e cookie usati", "Services and cookies used"),
    service_purpose => ("Finalità", "Purpose"),
    service_retention => ("Durata", "Retention"),
    service_cookies => ("Cookie", "Cookies"),
    prefs_current => ("Le tue scelte attuali, del", "Your current choices, from"),
    reopen_preferences => ("Preferenze cookie", "Cookie preferences"),
    embed_blocked => (
        "Questo contenuto è fornito da terze parti e resta bloccato finché non autorizzi la categoria:",
        "This content is provided by a third party and stays blocked until you allow the category:"
    ),
    embed_allow => ("Consenti", "Allow"),
    // The virtual assistant. `{name}` is the assistant's name.
    chat_open => ("Apri l'assistente virtuale {name}", "Open the virtual assistant {name}"),
}

texts! {
    /// A text of the app alone: the privacy centre, the assistant, booking,
    /// the live chat (only the app's module carries these).
    AppKey;
    privacy_title => ("I tuoi dati", "Your data"),
    privacy_intro => (
        "Ecco che cosa è conservato in questo browser per questo sito. Puoi scaricarlo o cancellarlo in qualsiasi momento.",
        "This is what is kept in this browser for this website. You can download it or delete it at any time."
    ),
    privacy_user_id => ("Codice casuale della navigazione (UserID)", "Random browsing code (UserID)"),
    privacy_pages => ("Pagine visitate registrate", "Pages visited, as recorded"),
    privacy_pages_none => ("Nessuna", "None"),
    privacy_pages_range => ("{n} pagine, dal {from} al {to}; inviate alla Camera: {sent}", "{n} pages, from {from} to {to}; sent to us: {sent}"),
    privacy_thread => ("Conversazione in corso con l'assistente (Thread ID)", "Current conversation with the assistant (Thread ID)"),
    privacy_consent => ("Scelta sui cookie", "Cookie choice"),
    privacy_consent_none => ("Nessuna scelta registrata", "No choice recorded"),
    privacy_consent_made => ("Consentiti: {granted}. Data della scelta: {date}.", "Allowed: {granted}. Date of the choice: {date}."),
    privacy_none => ("Nessuno", "None"),
    privacy_download => ("Scarica i miei dati (JSON)", "Download my data (JSON)"),
    privacy_delete => ("Cancella tutti i miei dati", "Delete all my data"),
    privacy_delete_confirm => (
        "Confermi? Cancelliamo la cronologia di navigazione e la conversazione, in questo browser e sul server, e revochiamo tutti i consensi facoltativi. Le prove delle scelte sui cookie già registrate restano conservate per il tempo previsto dall'informativa.",
        "Are you sure? We delete the browsing history and the conversation, in this browser and on our server, and withdraw every optional consent. The records of cookie choices already made are kept for the time stated in the privacy notice."
    ),
    privacy_delete_yes => ("Sì, cancella", "Yes, delete"),
    privacy_deleted => ("I tuoi dati sono stati cancellati.", "Your data has been deleted."),
    privacy_pages_one => ("1 pagina, del {from}; pagine inviate alla Camera: {sent}", "1 page, from {from}; sent to us: {sent}"),
    privacy_preparing => ("Preparazione del file in corso…", "Preparing the file…"),
    privacy_export_ready => ("Il file con i tuoi dati è stato scaricato.", "The file with your data has been downloaded."),
    privacy_export_partial => (
        "Non è stato possibile recuperare dal server la conversazione con l'assistente: il file scaricato contiene solo i dati conservati in questo browser.",
        "The conversation with the assistant could not be retrieved from the server: the downloaded file holds only the data kept in this browser."
    ),
    privacy_notices => ("Informative", "Privacy notices"),
    privacy_notice_site => ("Informativa sul trattamento dei dati personali", "Privacy notice"),
    privacy_notice_assistant => ("Informativa dell'assistente virtuale", "Privacy notice of the virtual assistant"),
    privacy_close => ("Chiudi", "Close"),
    chat_unread_one => ("1 nuovo messaggio", "1 new message"),
    chat_unread => ("{n} nuovi messaggi", "{n} new messages"),
    chat_panel_label => ("Assistente virtuale {name}", "Virtual assistant {name}"),
    chat_minimise => ("Riduci l'assistente", "Minimise the assistant"),
    chat_new => ("Nuova conversazione", "New conversation"),
    chat_welcome => (
        "Ciao, sono {name}, l'assistente virtuale. Posso darti informazioni sui servizi e aiutarti a prenotare un appuntamento. Prima di iniziare, leggi e accetta le condizioni generali del servizio e l'informativa sul trattamento dei dati personali.",
        "Hello, I am {name}, the virtual assistant. I can tell you about our services and help you book an appointment. Before we start, please read and accept the general terms of the service and the privacy notice."
    ),
    chat_privacy_link => ("Leggi l'informativa privacy dell'assistente virtuale", "Read the privacy notice of the virtual assistant"),
    chat_accept => ("Accetto", "I accept"),
    chat_gate_note => ("Finché non accetti, nessun messaggio viene inviato.", "Until you accept, no message is sent."),
    chat_terms_changed => (
        "Le condizioni del servizio sono cambiate: leggile e accettale di nuovo per continuare.",
        "The terms of the service have changed: please read and accept them again to continue."
    ),
    chat_input_label => ("Scrivi la tua domanda", "Type your question"),
    chat_send => ("Invia", "Send"),
    chat_not_sent => ("Non inviato", "Not sent"),
    chat_retry => ("Riprova", "Retry"),
    chat_typing => ("{name} sta scrivendo…", "{name} is typing…"),
    chat_you => ("Tu", "You"),
    chat_quick_replies => ("Potrebbe interessarti...", "You might be interested in..."),
    chat_suggestions => (
        "Potrebbe interessarti, in base alle pagine che hai visitato:",
        "You might be interested in, based on the pages you visited:"
    ),
    chat_ended => ("La conversazione è terminata.", "The conversation has ended."),
    feedback_group => ("Valutazione della risposta", "Rating of the answer"),
    feedback_question => ("Questa risposta ti è stata utile?", "Was this answer helpful?"),
    feedback_yes => ("Sì", "Yes"),
    feedback_no => ("No", "No"),
    feedback_thanks => ("Grazie per il tuo riscontro.", "Thank you for your feedback."),
    feedback_why => ("Ci dici perché? (facoltativo)", "Can you tell us why? (optional)"),
    feedback_off_topic => ("Non risponde alla mia domanda", "It does not answer my question"),
    feedback_unclear => ("Non è chiara", "It is not clear"),
    feedback_wrong => ("È sbagliata o non aggiornata", "It is wrong or out of date"),
    feedback_other => ("Altro", "Other"),
    feedback_comment => ("Commento (facoltativo; non scrivere dati personali)", "Comment (optional; do not write personal data)"),
    feedback_send => ("Invia", "Send"),
    feedback_failed => ("Il riscontro non è stato inviato. Puoi riprovare più tardi.", "Your feedback was not sent. You can try again later."),
    rating_live_chat => ("Come valuti la conversazione con l'operatore?", "How would you rate the conversation with the operator?"),
    rating_booking => ("Come valuti la prenotazione dell'appuntamento?", "How would you rate booking the appointment?"),
    rating_scale => ("Da 1 (per niente soddisfatto) a 5 (molto soddisfatto)", "From 1 (not at all satisfied) to 5 (very satisfied)"),
    rating_missing => ("Scegli un voto da 1 a 5.", "Choose a rating from 1 to 5."),
    chat_messages_label => ("Messaggi della conversazione", "Conversation messages"),
    chat_offline => (
        "Sei offline: i messaggi non inviati partiranno appena torna la connessione.",
        "You are offline: unsent messages will go as soon as the connection is back."
    ),
    // The welcome once the terms are accepted: one line, with the notice.
    chat_welcome_short => ("Hai accettato le condizioni del servizio.", "You have accepted the terms of the service."),
    chat_privacy_short => ("Informativa", "Privacy notice"),
    // Shown when answers arrive while the visitor reads earlier messages.
    chat_new_messages => ("Nuovi messaggi", "New messages"),
    // Live chat with a person.
    live_start => ("Parla con un operatore", "Talk to an operator"),
    live_waiting => (
        "Sei in attesa di un operatore. Posizione in coda: {name}.",
        "You are waiting for an operator. Place in the queue: {name}."
    ),
    live_waiting_plain => ("Sei in attesa di un operatore.", "You are waiting for an operator."),
    live_operator => ("Operatore", "Operator"),
    live_notice => ("Avviso", "Notice"),
    live_operator_typing => ("L'operatore sta scrivendo…", "The operator is typing…"),
    live_failed => (
        "Non è stato possibile contattare un operatore. Riprova tra poco.",
        "We could not reach an operator. Please try again shortly."
    ),
    // Under «Parla con un operatore» while nobody answers; `{when}` is a
    // day and time, «lunedì 7 dicembre 2026 alle 09:00».
    live_opens => ("Operatori disponibili da {when}", "Operators available from {when} (Italian time)"),
    live_closed => ("Al momento gli operatori non sono disponibili.", "No operator is available at the moment."),
    // A message for the office, when nobody can answer live.
    leave_title => ("Lascia un messaggio", "Leave a message"),
    leave_text_label => ("Il tuo messaggio", "Your message"),
    leave_text_missing => ("Scrivi il tuo messaggio.", "Please write your message."),
    leave_email_label => ("Il tuo indirizzo e-mail, per la risposta", "Your e-mail address, for the answer"),
    leave_email_invalid => (
        "Scrivi un indirizzo e-mail valido, ad esempio nome@esempio.it.",
        "Please enter a valid e-mail address, for example name@example.com."
    ),
    leave_consent => (
        "Autorizzo l'ufficio a contattarmi per e-mail per rispondere al mio messaggio.",
        "I allow the office to contact me by e-mail to answer my message."
    ),
    leave_consent_missing => (
        "Per ricevere la risposta per e-mail è necessario autorizzare il contatto.",
        "To get the answer by e-mail, please allow us to contact you."
    ),
    leave_privacy_link => ("Informativa sulla chat con operatore", "Live chat privacy notice"),
    leave_send => ("Invia il messaggio", "Send the message"),
    leave_failed => (
        "Non è stato possibile inviare il messaggio. Riprova tra poco.",
        "The message could not be sent. Please try again shortly."
    ),
    // Appointments at the desks, inside the assistant.
    booking_start => ("Prenota un appuntamento", "Book an appointment"),
    booking_title => ("Prenotazione di un appuntamento", "Booking an appointment"),
    booking_close => ("Chiudi la prenotazione", "Close the booking"),
    booking_back => ("Indietro", "Back"),
    booking_next => ("Avanti", "Next"),
    booking_step => ("Passo {n} di 4", "Step {n} of 4"),
    booking_loading => ("Caricamento in corso…", "Loading…"),
    booking_unavailable => (
        "Il servizio di prenotazione non risponde. Riprova tra qualche minuto.",
        "The booking service is not answering. Please try again in a few minutes."
    ),
    booking_service => ("Servizio", "Service"),
    booking_office => ("Sede", "Office"),
    booking_choose => ("Scegli…", "Choose…"),
    booking_day => ("Giorno", "Day"),
    booking_time => ("Orario", "Time"),
    booking_no_slots => (
        "In questa sede non ci sono orari liberi nei prossimi giorni: prova un'altra sede.",
        "There are no free times at this office in the coming days: try another office."
    ),
    booking_full => ("completo", "full"),
    booking_pick_slot => ("Scegli un giorno e un orario.", "Choose a day and a time."),
    booking_nome => ("Nome", "First name"),
    booking_cognome => ("Cognome", "Last name"),
    booking_codice_fiscale => ("Codice fiscale", "Tax code (codice fiscale)"),
    booking_telefono => ("Telefono", "Phone"),
    booking_email => ("E-mail", "Email"),
    booking_privacy => (
        "Ho letto l'informativa sul trattamento dei dati personali per la prenotazione degli appuntamenti.",
        "I have read the privacy notice on booking appointments."
    ),
    booking_privacy_link => ("Leggi l'informativa", "Read the privacy notice"),
    booking_privacy_missing => (
        "Per prenotare devi dichiarare di aver letto l'informativa sul trattamento dei dati.",
        "To book, you must confirm that you have read the privacy notice."
    ),
    booking_errors => ("Correggi i campi indicati.", "Please correct the fields shown."),
    booking_summary => ("Controlla i dati e conferma", "Check the details and confirm"),
    booking_confirm => ("Conferma la prenotazione", "Confirm the booking"),
    booking_sending => ("Invio in corso…", "Sending…"),
    booking_done => ("Prenotazione confermata", "Booking confirmed"),
    booking_code => ("Codice della prenotazione", "Booking code"),
    booking_code_note => (
        "Conserva il codice: con il codice e l'indirizzo e-mail puoi annullare la prenotazione.",
        "Keep the code: with the code and your email address you can cancel the booking."
    ),
    booking_ics => ("Aggiungi al calendario (file .ics)", "Add to calendar (.ics file)"),
    booking_when => ("Quando", "When"),
    booking_where => ("Dove", "Where"),
    booking_cancel_start => ("Annulla una prenotazione", "Cancel a booking"),
    booking_cancel_title => ("Annullamento di una prenotazione", "Cancelling a booking"),
    booking_cancel_submit => ("Annulla la prenotazione", "Cancel the booking"),
    booking_cancelled => ("La prenotazione è stata annullata.", "The booking has been cancelled."),
    booking_prefilled => (
        "Le scelte indicate nella tua richiesta sono già inserite: controllale e, se serve, cambiale.",
        "The choices from your request are already filled in: check them and change them if needed."
    ),
    booking_pick_choice => ("Scegli il servizio e la sede.", "Choose the service and the office."),
    booking_cancel_not_found => (
        "Non troviamo una prenotazione con questo codice e questo indirizzo e-mail.",
        "We cannot find a booking with this code and this email address."
    ),
}

/// Texts in one language with the site's overrides applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Texts {
    lang: Lang,
    overrides: SortedMap<String>,
}

impl Texts {
    /// `overrides` is the site's `texts` map (language code → key → text).
    pub fn new(lang: Lang, overrides: &SortedMap<SortedMap<String>>) -> Self {
        let overrides = overrides.get(lang.code()).cloned().unwrap_or_default();
        Texts { lang, overrides }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The text with `{name}` filled in.
    pub fn fill(&self, key: impl TextKey, name: &str) -> String {
        self.get(key).replace("{name}", name)
    }

    /// "1 nuovo messaggio", "3 nuovi messaggi".
    pub fn unread(&self, n: u32) -> String {
        if n == 1 {
            self.get(AppKey::chat_unread_one).to_owned()
        } else {
            self.get(AppKey::chat_unread).replace("{n}", &n.to_string())
        }
    }

    pub fn get(&self, key: impl TextKey) -> &str {
        self.overrides
            .get(key.name())
            .map(String::as_str)
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| key.default_text(self.lang))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_language() {
        let none = SortedMap::new();
        assert_eq!(
            Texts::new(Lang::It, &none).get(Key::accept_all),
            "Accetta tutti"
        );
        assert_eq!(
            Texts::new(Lang::En, &none).get(Key::close_banner),
            "Close and continue without accepting"
        );
    }

    #[test]
    fn site_overrides_win_for_their_language_only() {
        let mut o = SortedMap::new();
        o.insert(
            "it".to_owned(),
            SortedMap::from([("accept_all".to_owned(), "Accetto tutto".to_owned())]),
        );
        assert_eq!(
            Texts::new(Lang::It, &o).get(Key::accept_all),
            "Accetto tutto"
        );
        assert_eq!(Texts::new(Lang::En, &o).get(Key::accept_all), "Accept all");
        let it = Texts::new(Lang::It, &SortedMap::new());
        assert_eq!(
            (it.unread(1), it.unread(3)),
            (
                "1 nuovo messaggio".to_owned(),
                "3 nuovi messaggi".to_owned()
            )
        );
    }
}
