//! Text normalisation: from raw Italian text to index terms.
//!
//! The pipeline is the same for the knowledge base and for the visitor's
//! question, so both sides always meet on the same terms:
//!
//! 1. [`fold`]: lowercase, strip accents, turn apostrophes and punctuation
//!    into separators ("L'identità è..." -> "l identita e").
//! 2. [`Analyzer::words`]: split into [`Word`]s, classify each one as a
//!    function word ([`Class::Stop`]), a generic request or courtesy word
//!    ([`Class::Weak`]) or a content word, and stem it with Snowball Italian.
//! 3. For the knowledge base, [`Analyzer::terms`]: the words' stems plus one
//!    synthetic term for every synonym group whose member (single word or
//!    phrase) occurs in the text. For a question, [`Analyzer::units`]: what
//!    the question asks for, each unit satisfied by any of its alternative
//!    terms (a recognised synonym phrase is one unit, satisfied by its
//!    group's term).
//!
//! Synonyms *add* a group term instead of replacing the words, so a partial
//! match ("firma" against "firma digitale") still counts.

use rust_stemmers::{Algorithm, Stemmer};
use std::collections::HashMap;

/// How much a word says about the question's subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Class {
    /// Articles, prepositions, pronouns, auxiliaries: almost no meaning.
    Stop,
    /// Words every request carries ("vorrei", "posso", "buongiorno"): they
    /// matter only when nothing else is there (a bare "buongiorno").
    Weak,
    /// Everything else.
    Content,
}

impl Class {
    /// The factor a query term's importance is multiplied by. Stop and weak
    /// words are kept (not dropped) so that a question made only of them
    /// ("chi sei?", "grazie") can still match, but they cannot outweigh a
    /// single content word.
    pub(crate) fn weight(self) -> f32 {
        match self {
            Class::Stop => 0.1,
            Class::Weak => 0.3,
            Class::Content => 1.0,
        }
    }
}

/// One word of a text after folding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// Lowercase, accent-free surface form ("identita").
    pub folded: String,
    /// The index term: the Snowball stem, or for stopwords the folded form
    /// behind a `.` (stemming "dei" is pointless).
    pub stem: String,
    pub class: Class,
}

/// Lowercases, removes accents and replaces everything that is not a letter
/// or a digit with a space. Apostrophes separate too, so elisions split:
/// "dell'impresa" -> "dell impresa". A letter written three times or more
/// in a row is written once ("ciaooo", "hiii", "grazieee"): no Italian or
/// English word has one, and chat stretches words that way.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The last letter pushed and how many times in a row.
    let mut run: (char, usize) = (' ', 0);
    let mut push = |out: &mut String, c: char| {
        run = if c == run.0 { (c, run.1 + 1) } else { (c, 1) };
        match run.1 {
            // The third of a run: the second goes too.
            3 if c.is_alphabetic() => {
                out.pop();
            }
            n if n > 3 && c.is_alphabetic() => {}
            _ => out.push(c),
        }
    };
    for c in text.chars() {
        for lc in c.to_lowercase() {
            match fold_char(lc) {
                Some(f) => f.chars().for_each(|f| push(&mut out, f)),
                None if lc.is_alphanumeric() => push(&mut out, lc),
                None => push(&mut out, ' '),
            }
        }
    }
    out
}

/// Accent folding for the letters Italian (and its usual loanwords) uses.
/// Returns `None` for characters that need no folding.
fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => "a",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'ç' => "c",
        'ñ' => "n",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        _ => return None,
    })
}

/// Splits folded text into words.
pub(crate) fn split_words(folded: &str) -> impl Iterator<Item = &str> {
    folded.split(' ').filter(|w| !w.is_empty())
}

/// Italian (and a handful of English) function words, already folded.
/// Elided forms ("dell", "l", "c") are here because [`fold`] splits at
/// apostrophes.
#[rustfmt::skip]
const STOPWORDS: &[&str] = &[
    // articles and elisions
    "il", "lo", "la", "i", "gli", "le", "l", "un", "uno", "una", "d", "c", "m", "t", "s", "n",
    // prepositions, simple and articulated
    "di", "a", "da", "in", "con", "su", "per", "tra", "fra", "ad", "del", "dello", "della", "dei",
    "degli", "delle", "dell", "al", "allo", "alla", "ai", "agli", "alle", "all", "dal", "dallo",
    "dalla", "dai", "dagli", "dalle", "dall", "nel", "nello", "nella", "nei", "negli", "nelle",
    "nell", "col", "coi", "sul", "sullo", "sulla", "sui", "sugli", "sulle", "sull",
    // pronouns, possessives, demonstratives
    "io", "tu", "lui", "lei", "noi", "voi", "loro", "mi", "ti", "si", "ci", "vi", "ne", "me", "te",
    "se", "mio", "mia", "miei", "mie", "tuo", "tua", "tuoi", "tue", "suo", "sua", "suoi", "sue",
    "nostro", "nostra", "nostri", "nostre", "vostro", "vostra", "vostri", "vostre", "questo",
    "questa", "questi", "queste", "quest", "quello", "quella", "quelli", "quelle", "quel", "quei",
    "quegli", "quell", "cio", "che", "cui", "chi", "cosa", "come", "qualche", "qualcosa",
    "qualcuno", "ogni", "altro", "altra", "altri", "altre", "stesso", "stessa",
    // conjunctions and adverbs
    "e", "ed", "o", "od", "ma", "pero", "anche", "oppure", "quindi", "poi", "mentre", "non", "piu",
    "molto", "poco", "po", "gia", "ancora", "solo", "sempre", "mai", "ora", "adesso", "qui", "qua",
    "li", "cosi", "tanto", "tutto", "tutti", "tutta", "tutte", "invece", "allora", "dunque",
    "circa", "ecc", "etc", "es",
    // stare (the forms of essere and avere are in ESSERE and AVERE)
    "essendo", "avuto", "avuta", "avendo", "sto", "stai", "sta",
    "stiamo", "stanno", "stavo", "stava", "ce", "ve", "gliel", "glielo", "gliela",
    // English, for visitors who write in it
    "the", "an", "of", "to", "for", "is", "are", "am", "was", "do", "does", "did", "how", "what",
    "can", "could", "should", "will", "my", "your", "our", "it", "on", "with", "and", "or", "be",
    "have", "has", "this", "that", "from", "at", "if", "there", "any", "you", "we", "by", "about",
    "as", "get", "got", "me", "im", "ive", "us", "they", "them", "their", "he", "she", "his",
    "her", "its", "were", "been", "had", "so", "but", "just", "also", "too", "some", "into",
    "than", "then", "these", "those", "not", "never",
    // English negations, with the apostrophe ("don't" folds to "don t") or without
    "don", "doesn", "didn", "isn", "aren", "wasn", "weren", "won", "couldn", "wouldn",
    "shouldn", "haven", "hasn", "hadn", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt",
    "cant", "wont", "couldnt", "wouldnt", "shouldnt", "havent", "hasnt",
];

/// The forms of "essere" (stopwords, all sharing one term). "e" (also
/// "and") and the participles are left out on purpose.
#[rustfmt::skip]
const ESSERE: &[&str] = &[
    "sono", "sei", "siamo", "siete", "era", "eri", "eravamo", "eravate", "erano", "ero", "fui",
    "fu", "furono", "saro", "sarai", "sara", "saremo", "sarete", "saranno", "sarei", "saresti",
    "sarebbe", "saremmo", "sareste", "sarebbero", "sia", "siano", "fossi", "fosse", "fossimo",
    "foste", "fossero", "essere",
];

/// The forms of "avere" (stopwords, all sharing one term).
#[rustfmt::skip]
const AVERE: &[&str] = &[
    "ho", "hai", "ha", "abbiamo", "avete", "hanno", "avevo", "avevi", "aveva", "avevamo",
    "avevate", "avevano", "ebbi", "ebbe", "avro", "avrai", "avra", "avremo", "avrete",
    "avranno", "avrei", "avresti", "avrebbe", "avremmo", "avreste", "avrebbero", "abbia",
    "abbiano", "avessi", "avesse", "avere",
];

/// Generic request, courtesy and question words: present in questions of
/// every topic, so they say little about which one is meant.
#[rustfmt::skip]
const WEAK_WORDS: &[&str] = &[
    "faccio", "fare", "fa", "fanno", "posso", "puo", "possiamo", "potrei", "potete", "puoi", "devo",
    "deve", "devono", "dobbiamo", "bisogna", "occorre", "serve", "servono", "servirebbe", "vorrei",
    "voglio", "volevo", "vuole", "vorremmo", "sapere", "sapevo", "informazione", "informazioni",
    "info", "bisogno", "gentilmente", "cortesemente", "favore", "prego", "buongiorno", "buonasera",
    "salve", "ciao", "grazie", "dove", "quando", "quanto", "quanta", "quanti", "quante", "quale",
    "quali", "perche", "ok", "okay", "sapete", "sai", "dire", "dirmi", "spiegare", "spiegarmi",
    "volere", "vorresti", "potrebbe", "potreste", "dovrei", "dovrebbe", "please", "hello", "hi", "hey",
    "where", "when", "which", "want", "need", "would", "like", "thanks", "thank",
    // greetings as typed, without accents or in dialect, and interjections
    "buondi", "buonanotte", "buonpomeriggio", "hola", "eh", "boh", "mah", "beh", "ehm", "uhm",
    "mh", "huh",
];

/// Words that are common in English and rare or absent in Italian.
#[rustfmt::skip]
const ENGLISH_MARKERS: &[&str] = &[
    "the", "is", "are", "can", "how", "what", "where", "when", "which", "my", "your", "do", "does",
    "for", "to", "of", "with", "and", "you", "an", "please", "want", "need", "would", "there", "it",
    "this", "that", "from",
];

/// True when the words look English (two distinct English function words).
/// The typo corrector is tuned for Italian: on English it would "fix"
/// "real" into "rea".
pub(crate) fn looks_english(words: &[Word]) -> bool {
    english_markers(words) >= 2
}

/// True when the words are English beyond doubt (three distinct English
/// function words): enough to answer in English a visitor who writes in
/// English on an Italian page.
pub(crate) fn surely_english(words: &[Word]) -> bool {
    english_markers(words) >= 3
}

/// How many distinct English function words the words hold.
fn english_markers(words: &[Word]) -> usize {
    let mut seen: Vec<&str> = words
        .iter()
        .map(|w| w.folded.as_str())
        .filter(|w| ENGLISH_MARKERS.contains(w))
        .collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

/// Everyday words (dates, numbers, a few adjectives) that rarely carry a
/// question's subject, and that a knowledge base may not contain although
/// they are not typos: without them "aprile" would be "corrected" to
/// "aprire". They count as weak words.
#[rustfmt::skip]
const COMMON_WORDS: &[&str] = &[
    "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
    "ottobre", "novembre", "dicembre", "lunedi", "martedi", "mercoledi", "giovedi", "venerdi",
    "sabato", "domenica", "oggi", "domani", "ieri", "settimana", "mese", "mesi", "anno", "anni",
    "giorno", "giorni", "mattina", "pomeriggio", "sera", "due", "tre", "quattro", "cinque", "sette",
    "otto", "nove", "dieci", "cento", "mille", "primo", "prima", "secondo", "ultimo", "nuovo",
    "nuova", "vecchio", "vecchia", "grande", "piccolo", "bene", "male", "subito",
];

/// Everyday Italian words (folded) that carry meaning but that a
/// knowledge base of public services rarely contains: family, home,
/// places, vehicles, money, food, time, common adjectives and verbs. They
/// stay content words (they are part of what is asked, and a question
/// made of them is about something else), but the typo corrector leaves
/// them, and every word with the same stem, alone: otherwise «madre»
/// becomes «made», «contanti» «contatti», «prossimo» «possiamo».
#[rustfmt::skip]
const EVERYDAY_WORDS: &[&str] = &[
    // people and family
    "madre", "padre", "mamma", "papa", "genitore", "genitori", "figlio", "figlia", "figli",
    "marito", "moglie", "compagno", "compagna", "fidanzato", "fidanzata", "fratello", "sorella",
    "nonno", "nonna", "nipote", "zio", "zia", "cugino", "cugina", "suocero", "suocera",
    "bambino", "bambina", "bimbo", "bimba", "neonato", "ragazzo", "ragazza", "amico", "amica",
    "vicino", "vicina", "uomo", "donna", "gente", "signore", "signora", "collega", "capo",
    "famiglia", "parente", "anziano", "anziana", "giovane", "studente", "studentessa",
    // home and places
    "mare", "montagna", "lago", "fiume", "collina", "citta", "paese", "via", "strada", "piazza",
    "giardino", "garage", "box", "cantina", "soffitta", "balcone", "terrazzo", "tetto", "muro",
    "porta", "finestra", "cucina", "bagno", "stanza", "appartamento", "villa", "villetta",
    "condominio", "palazzo", "negozio", "bar", "ristorante", "pizzeria", "albergo", "hotel",
    "ospedale", "farmacia", "chiesa", "parco", "campo", "spiaggia", "stazione", "aeroporto",
    "porto", "centro", "periferia", "quartiere", "frazione", "cortile", "cancello", "recinzione",
    "piscina", "tettoia", "capannone", "magazzino", "terreno", "orto", "bosco", "lampione",
    "marciapiede", "parcheggio", "semaforo", "buca", "albero", "cane", "gatto", "animale",
    // vehicles and travel
    "auto", "automobile", "macchina", "moto", "motorino", "scooter", "bici", "bicicletta",
    "camion", "furgone", "treno", "autobus", "bus", "metro", "metropolitana", "tram", "aereo",
    "nave", "traghetto", "monopattino", "viaggio", "vacanza", "vacanze", "volo", "biglietto",
    "valigia", "traffico", "sosta", "divieto", "velocita", "incidente", "benzina",
    // money
    "euro", "soldi", "contanti", "banca", "bancomat", "bonifico", "stipendio", "mutuo",
    "prestito", "debito", "credito", "affitto", "bolletta", "bollette", "sconto", "mancia",
    "risparmi", "reddito", "guadagno", "spesa", "scontrino", "fattura", "ricevuta", "conto",
    // time
    "prossimo", "prossima", "scorso", "scorsa", "passato", "futuro", "presto", "tardi",
    "notte", "minuto", "minuti", "ora", "ore", "fine", "inizio", "weekend", "ferie", "natale",
    "pasqua", "estate", "inverno", "primavera", "autunno", "sessione", "turno", "ritardo",
    // body, health, food
    "testa", "mano", "mani", "piede", "piedi", "occhio", "occhi", "cuore", "dente", "denti",
    "malattia", "malato", "malata", "febbre", "dolore", "medicina", "farmaco", "vaccino",
    "carne", "pesce", "pasta", "pizza", "pane", "vino", "birra", "acqua", "caffe", "pranzo",
    "cena", "colazione", "pasto", "ricetta", "torta", "dolce", "frutta", "verdura", "latte",
    "formaggio", "uova", "ossa", "osso", "sangue", "corpo", "vecchiaia", "gravidanza",
    // things
    "foglio", "fogli", "carta", "penna", "libro", "giornale", "lettera", "pacco", "regalo",
    "chiave", "chiavi", "borsa", "portafoglio", "zaino", "vestito", "scarpe", "computer", "pc",
    "tablet", "stampante", "schermo", "tastiera", "televisione", "radio", "foto", "video",
    "musica", "film", "partita", "calcio", "gioco", "giochi", "sport", "palestra", "festa",
    "serie", "notizie", "tempo", "pioggia", "neve", "sole", "vento", "caldo", "freddo",
    // adjectives
    "vero", "vera", "falso", "falsa", "giusto", "giusta", "sbagliato", "sbagliata", "bello",
    "bella", "brutto", "brutta", "buono", "buona", "cattivo", "caro", "cara", "economico",
    "facile", "difficile", "veloce", "lento", "pieno", "piena", "vuoto", "vuota", "rotto",
    "rotta", "lungo", "lunga", "corto", "alto", "alta", "basso", "bassa", "forte", "debole",
    "contento", "contenta", "triste", "stanco", "stanca", "sicuro", "sicura", "possibile",
    "impossibile", "necessario", "urgente", "importante", "normale", "strano", "strana",
    "solito", "diverso", "diversa", "uguale", "intero", "mezzo", "doppio", "privato", "privata",
    "pubblico", "pubblica", "libero", "libera", "occupato", "pronto", "pronta", "vivo", "viva",
    "disabile", "invalido", "invalida", "invalidita", "malattia", "preciso", "precisa",
    // verbs
    "mandare", "mando", "manda", "mandato", "dare", "dato", "mettere", "metto", "messo",
    "prendere", "prendo", "preso", "andare", "vado", "vai", "va", "andato", "andata",
    "venire", "vengo", "viene", "venuto", "tornare", "torno", "uscire", "esco", "entrare",
    "arrivare", "arriva", "arrivato", "partire", "parto", "restare", "resto", "lasciare",
    "lascio", "trovare", "trovo", "cercare", "cerco", "guardare", "vedere", "vedo", "visto",
    "sentire", "sento", "pensare", "penso", "credere", "credo", "capire", "capisco", "capito",
    "leggere", "leggo", "letto", "scrivere", "scrivo", "scritto", "detto", "chiedere", "chiedo",
    "chiesto", "rispondere", "aspettare", "aspetto", "finire", "finito", "iniziare",
    "cominciare", "continuare", "usare", "comprare", "compro", "comprato", "vendere", "vendo",
    "venduto", "spendere", "vincere", "giocare", "mangiare", "bere", "dormire", "vivere",
    "abitare", "abito", "lavorare", "lavoro", "studiare", "aiutare", "aiuto", "provare",
    "riuscire", "riesco", "conoscere", "ricordare", "dimenticare", "dimenticato", "succedere",
    "successo", "morire", "rifare", "rifaccio", "rifatto", "costruire", "ristrutturare",
    "traslocare", "spostare", "sposta", "guidare", "viaggiare", "tradurre", "traduci",
    "raccontare", "consigliare", "creare", "creato",
];

/// Shorthand of chat and text messages, folded, with the word it stands
/// for: «x» for «per», «nn» for «non», «xke» for «perché». Visitors type
/// on phones; the knowledge base never uses these forms.
#[rustfmt::skip]
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("x", "per"), ("nn", "non"), ("cmq", "comunque"), ("xke", "perche"), ("xk", "perche"),
    ("xche", "perche"), ("pk", "perche"), ("pke", "perche"), ("perke", "perche"), ("xo", "pero"),
    ("ke", "che"), ("k", "che"), ("ki", "chi"), ("kome", "come"), ("anke", "anche"),
    ("ank", "anche"), ("qlc", "qualche"), ("qlk", "qualche"), ("qlcs", "qualcosa"),
    ("qcs", "qualcosa"), ("qlcn", "qualcuno"), ("qualke", "qualche"), ("tt", "tutto"),
    ("sn", "sono"), ("dv", "dove"), ("qnd", "quando"), ("qndo", "quando"), ("qdo", "quando"),
    ("qnt", "quanto"), ("qto", "quanto"), ("cn", "con"), ("grz", "grazie"), ("thx", "thanks"),
    ("tnx", "thanks"), ("ty", "thanks"), ("pls", "please"), ("plz", "please"), ("msg", "messaggio"),
    ("tel", "telefono"), ("cell", "cellulare"), ("num", "numero"), ("doc", "documento"),
    ("certif", "certificato"), ("cert", "certificato"),
    ("docs", "documenti"), ("prox", "prossimo"), ("sett", "settimana"), ("pwd", "password"),
    ("u", "you"), ("ur", "your"), ("bc", "because"), ("cuz", "because"), ("coz", "because"),
];

/// The word a chat shorthand stands for, or the word itself.
pub(crate) fn expand_abbreviation(folded: &str) -> &str {
    ABBREVIATIONS
        .iter()
        .find(|(short, _)| *short == folded)
        .map_or(folded, |(_, long)| long)
}

/// Everyday words the typo corrector must leave alone.
pub(crate) fn common_words() -> impl Iterator<Item = &'static str> {
    COMMON_WORDS.iter().copied()
}

/// Everyday content words the typo corrector must leave alone, with
/// every word of the same stem (see [`EVERYDAY_WORDS`]).
pub(crate) fn everyday_words() -> impl Iterator<Item = &'static str> {
    EVERYDAY_WORDS.iter().copied()
}

/// Iterates over every stop and weak word (for typo correction).
pub(crate) fn function_words() -> impl Iterator<Item = &'static str> {
    STOPWORDS
        .iter()
        .chain(ESSERE)
        .chain(AVERE)
        .chain(WEAK_WORDS)
        .copied()
}

/// General Italian equivalences every site benefits from. Site-specific
/// ones belong in the knowledge base's `synonyms.toml`.
#[rustfmt::skip]
const BUILTIN_SYNONYMS: &[&[&str]] = &[
    // Everyday equivalences.
    &["costo", "costa", "costano", "prezzo", "tariffa", "importo", "spesa", "cost", "price", "fee"],
    &["pagare", "pagamento", "versare", "versamento", "pay", "payment"],
    &["appuntamento", "prenotare", "prenotazione", "appointment", "book", "booking"],
    &["orario", "orari", "hours", "timetable"],
    &["perdere", "perso", "persa", "perduto", "smarrire", "smarrito", "smarrita", "smarrimento", "lost"],
    &["rubare", "rubato", "rubata", "rubati", "furto", "fregato", "fregata", "fregati", "sottratto", "stolen", "theft", "robbed"],
    &["scadere", "scaduto", "scaduta", "scadenza", "expired", "expiry"],
    &["rinnovare", "rinnovo", "renew", "renewal"],
    &["telefono", "telefonare", "chiamare", "numero di telefono", "phone", "call"],
    &["email", "e-mail", "mail", "posta elettronica"],
    &["pec", "posta elettronica certificata"],
    &["online", "on line", "on-line", "via internet", "telematico", "telematica"],
    &["impresa", "azienda", "ditta", "attivita commerciale", "company", "business"],
    &["modulo", "moduli", "modulistica", "form"],
    &["ufficio", "sportello", "sede", "office"],
    &["gratis", "gratuito", "gratuita", "gratuitamente", "free"],
    &["cellulare", "smartphone", "telefonino"],
    &["documento", "documenti", "documentazione", "document", "documents"],
    &["certificato", "certificati", "certificate"],
    &["firma", "firmare", "signature", "sign"],
    &["digitale", "digital"],
    &["carta", "card"],
    &["carta di identita", "carta d'identita", "identity card", "id card"],
    &["dati", "dati personali", "data", "personal data"],
    &["indirizzo", "address"],
    &["residenza", "residence", "risiedere", "risiedo", "risiede", "residente", "residenti", "dove abito", "dove vivo"],
    &["operatore", "operator", "human"],
    &["persona", "person"],
    &["parlare", "talk", "speak"],
    &["straniero", "stranieri", "straniera", "straniere", "cittadino straniero", "extracomunitario", "extracomunitari", "foreigner", "foreigners", "foreign", "non italian", "non-italian", "non eu", "non-eu", "expat", "expats", "immigrant", "immigrants"],
    &["estero", "abroad"],
    &["casa", "abitazione", "house", "home"],
    &["lavoro", "work", "job"],
    &["scuola", "school"],
    &["rifiuti", "spazzatura", "immondizia", "waste", "garbage", "trash", "rubbish"],
    &["matrimonio", "sposarsi", "sposare", "nozze", "marriage", "wedding"],
    &["nascita", "nascere", "nato", "nata", "birth", "born"],
    &["morte", "decesso", "morto", "morta", "deceduto", "deceduta", "defunto", "defunta", "venuto a mancare", "venuta a mancare", "death", "died"],
    &["rimborso", "rimborsare", "restituzione", "refund"],
    &["sanzione", "sanzioni", "penalty", "sanction"],
    &["tassa", "tasse", "tributo", "tributi", "tax", "taxes"],
    &["registro", "register", "registry"],
    &["cancellare", "cancellazione", "delete", "cancel"],
    &["trasferire", "trasferimento", "trasferito", "trasferita", "move", "moved", "relocate", "relocation", "transfer"],
    &["delega", "delegare", "delegato", "delegata", "al posto mio", "per conto mio", "proxy", "delegate", "delegation", "in my place", "on my behalf"],
    // Other bodies' documents and services, as visitors name them in
    // English too: what out-of-scope answers are found by.
    &["passaporto", "passaporti", "passport", "passports"],
    &["patente", "patente di guida", "driving licence", "driving license", "driver license", "driver's license"],
    &["permesso di soggiorno", "residence permit", "stay permit"],
    &["codice fiscale", "tax code", "fiscal code", "tax number"],
    &["dichiarazione dei redditi", "dichiarazione redditi", "730", "modello 730", "modello redditi", "tax return", "income tax return"],
    &["tessera sanitaria", "health card", "health insurance card"],
    &["pensione", "pensioni", "pension", "retirement"],
    &["disoccupazione", "naspi", "unemployment", "unemployment benefit"],
    &["stipendio", "stipendi", "busta paga", "salary", "wage", "wages", "paycheck", "payslip", "pay slip", "overtime", "unpaid wages", "back pay"],
    &["datore di lavoro", "employer", "boss"],
    &["obbligatorio", "obbligatoria", "obbligatori", "obbligatorie", "obbligo", "mandatory", "compulsory", "obligatory"],
    &["medico", "medico di base", "doctor"],
    &["treno", "treni", "train", "trains"],
    &["meteo", "previsioni del tempo", "weather", "forecast"],
    &["camera di commercio", "chamber of commerce"],
    &["registro imprese", "registro delle imprese", "business register", "companies register", "company register"],
    &["firma digitale", "digital signature", "electronic signature"],
    &["bilancio", "bilanci", "balance sheet", "financial statements", "annual accounts"],
    // Irregular verb forms the stemmer cannot bring together.
    &["ottenere", "ottengo", "ottieni", "ottiene", "otteniamo", "ottengono", "ottenuto", "ottenuta"],
    &["richiedere", "richiedo", "richiedi", "richiesto", "richiesta", "richieste", "request", "apply"],
    &["chiudere", "chiudo", "chiuso", "chiusa", "chiusura", "close"],
    &["cessare", "cesso", "cessato", "cessata", "cessazione"],
    &["iscrivere", "iscriversi", "iscrivo", "iscritto", "iscritta", "iscrizione"],
    &["aprire", "apro", "aperto", "aperta", "avviare", "avvio", "open", "start"],
    // Greetings and thanks.
    &["ciao", "salve", "buongiorno", "buonasera", "buondi", "buon pomeriggio", "buonpomeriggio", "hola", "hello", "hi", "hey", "good morning"],
    &["grazie", "ringrazio", "thanks", "thank", "cheers", "gentilissimo", "gentilissima"],
    &["arrivederci", "a presto", "alla prossima", "ci vediamo", "ci sentiamo", "buona giornata", "buona serata", "buonanotte", "addio", "bye", "goodbye", "see you"],
    // The assistant itself, as visitors call it.
    &["bot", "chatbot", "chat bot", "chatgpt", "chat gpt", "gpt", "robot", "intelligenza artificiale", "programma automatico", "assistente automatico", "assistente virtuale"],
];

/// English equivalences, for the English versions of the entries and the
/// questions matched against them only: some members are Italian words
/// with another meaning («fine» is «end»), others would join Italian terms
/// that must stay apart, so the Italian analyzer never sees them.
#[rustfmt::skip]
const ENGLISH_SYNONYMS: &[&[&str]] = &[
    &["penalty", "fine", "fined", "sanction"],
    &["appeal", "object", "objection", "dispute", "challenge", "contest", "oppose", "disagree", "complain against"],
    &["late", "delay", "delayed", "overdue", "after the deadline", "past the deadline", "missed the deadline"],
    &["keep", "store", "save", "retain", "retention", "hold on to"],
    &["walk in", "show up", "turn up", "drop in", "drop by", "pop in", "come without booking"],
];

/// A synonym member reduced to the stems it must match, in order.
#[derive(Debug, Clone)]
struct Phrase {
    stems: Vec<String>,
    group: usize,
}

/// Something a question asks for, satisfied by any of its alternative
/// terms (see [`Analyzer::units`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unit {
    /// A word's stem, or the synonym groups of a phrase.
    pub alts: Vec<String>,
    pub class: Class,
    /// For a synonym phrase, the stems of its words: their rarity sets the
    /// unit's importance, as if the words were asked for one by one.
    pub covers: Vec<String>,
    /// A word inside a synonym phrase, counted at a reduced weight.
    pub literal: bool,
}

/// The analysis pipeline for one knowledge base (its synonyms included).
#[derive(Debug, Clone, Default)]
pub(crate) struct Analyzer {
    /// Phrases by their first stem, for a quick lookup at each position.
    phrases: HashMap<String, Vec<Phrase>>,
    /// Phrases of one meaningful word with function words around it
    /// («a presto», «alla prossima», «ci vediamo»), by their first stem:
    /// they must match word for word, function words included, or every
    /// «prossima» would be a goodbye.
    exact_phrases: HashMap<String, Vec<Phrase>>,
    /// Every content word of every synonym member: known words that the
    /// typo corrector must not "fix", and may correct towards.
    synonym_words: Vec<String>,
    /// The site's own weak words (folded): its assistant's name, which a
    /// visitor writes when addressing it («ciao CamOn»), not a topic.
    site_weak: Vec<String>,
    /// Stem with the English Snowball stemmer (for the English versions
    /// of the entries and the questions matched against them).
    english: bool,
}

impl Analyzer {
    /// Builds the analyzer from the site's synonym groups plus the built-in
    /// general ones. Members are analysed with the same pipeline as the
    /// texts, so inflected forms ("carte nazionali dei servizi") match too.
    #[cfg(test)]
    pub(crate) fn new(site_groups: &[Vec<String>]) -> Analyzer {
        Analyzer::new_in(site_groups, false)
    }

    /// [`Analyzer::new`] for English texts (`english`): the same pipeline
    /// with the English stemmer, so "operators" meets "operator".
    pub(crate) fn new_in(site_groups: &[Vec<String>], english: bool) -> Analyzer {
        let mut analyzer = Analyzer {
            english,
            ..Analyzer::default()
        };
        let builtin = BUILTIN_SYNONYMS
            .iter()
            .map(|g| g.iter().map(|s| s.to_string()).collect());
        let english_only = ENGLISH_SYNONYMS
            .iter()
            .filter(|_| english)
            .map(|g| g.iter().map(|s| s.to_string()).collect());
        let all: Vec<Vec<String>> = site_groups
            .iter()
            .cloned()
            .chain(builtin)
            .chain(english_only)
            .collect();
        for (group, members) in all.iter().enumerate() {
            for member in members {
                let words = analyzer.words(member);
                analyzer.synonym_words.extend(
                    words
                        .iter()
                        .filter(|w| w.class == Class::Content)
                        .map(|w| w.folded.clone()),
                );
                // Stopwords are skipped on both sides when matching, so "dei"
                // in "carta nazionale dei servizi" is optional. A member made
                // only of stopwords could never match and is ignored.
                let stems: Vec<String> = words
                    .iter()
                    .filter(|w| w.class != Class::Stop)
                    .map(|w| w.stem.clone())
                    .collect();
                if stems.len() == 1 && words.len() > 1 {
                    let all: Vec<String> = words.into_iter().map(|w| w.stem).collect();
                    analyzer
                        .exact_phrases
                        .entry(all[0].clone())
                        .or_default()
                        .push(Phrase { stems: all, group });
                    continue;
                }
                if let Some(first) = stems.first() {
                    let phrase = Phrase {
                        stems: stems.clone(),
                        group,
                    };
                    analyzer
                        .phrases
                        .entry(first.clone())
                        .or_default()
                        .push(phrase);
                }
            }
        }
        analyzer.synonym_words.sort();
        analyzer.synonym_words.dedup();
        analyzer
    }

    /// The content words of all synonym members, sorted.
    pub(crate) fn synonym_words(&self) -> &[String] {
        &self.synonym_words
    }

    /// The site's weak words (see `synonyms.toml`'s `weak`).
    pub(crate) fn with_weak(mut self, words: &[String]) -> Analyzer {
        self.site_weak = words.iter().map(|w| fold(w)).collect();
        self
    }

    /// Folds, splits, classifies and stems a text.
    pub(crate) fn words(&self, text: &str) -> Vec<Word> {
        split_words(&fold(text))
            .map(|folded| self.word(expand_abbreviation(folded)))
            .collect()
    }

    /// A folded word's stem with this analyzer's stemmer.
    pub(crate) fn stem(&self, folded: &str) -> String {
        stem_in(folded, self.english)
    }

    /// The site's weak words, folded.
    pub(crate) fn site_weak(&self) -> &[String] {
        &self.site_weak
    }

    /// One folded word, classified with the site's weak words too (a typo
    /// corrected to the assistant's name is still only its name).
    pub(crate) fn word(&self, folded: &str) -> Word {
        let mut w = word_in(folded, self.english);
        if w.class == Class::Content && self.site_weak.contains(&w.folded) {
            w.class = Class::Weak;
        }
        w
    }

    /// Every synonym phrase occurring in `content` (the non-stop words):
    /// (start, length, group, class).
    fn phrase_matches(
        &self,
        words: &[Word],
        content: &[&Word],
    ) -> Vec<(usize, usize, usize, Class)> {
        let mut out = Vec::new();
        if !self.exact_phrases.is_empty() {
            // Word for word over the whole text, then placed among the
            // meaningful words (the one the phrase has).
            let mut before = 0;
            for start in 0..words.len() {
                if let Some(candidates) = self.exact_phrases.get(&words[start].stem) {
                    for phrase in candidates {
                        let end = start + phrase.stems.len();
                        if end > words.len()
                            || !words[start..end]
                                .iter()
                                .zip(&phrase.stems)
                                .all(|(w, s)| &w.stem == s)
                        {
                            continue;
                        }
                        let inside: Vec<&Word> = words[start..end]
                            .iter()
                            .filter(|w| w.class != Class::Stop)
                            .collect();
                        let class = inside.iter().map(|w| w.class).max();
                        if let Some(class) = class {
                            let m = (before, inside.len(), phrase.group, class);
                            if !out.contains(&m) {
                                out.push(m);
                            }
                        }
                    }
                }
                before += usize::from(words[start].class != Class::Stop);
            }
        }
        for start in 0..content.len() {
            let Some(candidates) = self.phrases.get(&content[start].stem) else {
                continue;
            };
            for phrase in candidates {
                let end = start + phrase.stems.len();
                if end > content.len() {
                    continue;
                }
                let matched = &content[start..end];
                if matched.iter().zip(&phrase.stems).all(|(w, s)| &w.stem == s) {
                    // A group made of weak words ("ciao", "salve") stays weak.
                    let class = matched
                        .iter()
                        .map(|w| w.class)
                        .max()
                        .unwrap_or(Class::Content);
                    if !out
                        .iter()
                        .any(|&(s, l, g, _)| (s, l, g) == (start, phrase.stems.len(), phrase.group))
                    {
                        out.push((start, phrase.stems.len(), phrase.group, class));
                    }
                }
            }
        }
        out
    }

    /// The index terms of a text (the knowledge base side): one per word,
    /// plus one synonym term per group with a member in the text.
    pub(crate) fn terms(&self, words: &[Word]) -> Vec<String> {
        let mut terms: Vec<String> = words.iter().map(|w| w.stem.clone()).collect();
        let content: Vec<&Word> = words.iter().filter(|w| w.class != Class::Stop).collect();
        for (_, _, group, _) in self.phrase_matches(words, &content) {
            let term = synonym_term(group);
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
        terms
    }

    /// The units of a question (or of an example phrasing it is compared
    /// with): what must be found for the question to be answered.
    ///
    /// Synonym phrases are matched longest first, left to right. A matched
    /// phrase is one unit satisfied by any member of its group, so "smart
    /// card" and "cns" count the same, and an English or rare member the
    /// knowledge base never uses costs nothing. Its words also become
    /// [`Unit::literal`] units, a small bonus for the exact wording. Other
    /// words are units of their own.
    pub(crate) fn units(&self, words: &[Word]) -> Vec<Unit> {
        let content: Vec<&Word> = words.iter().filter(|w| w.class != Class::Stop).collect();
        let matches = self.phrase_matches(words, &content);
        let mut units: Vec<Unit> = Vec::new();
        let mut push = |unit: Unit| {
            if !units
                .iter()
                .any(|u| u.alts == unit.alts && u.literal == unit.literal)
            {
                units.push(unit);
            }
        };
        for w in words.iter().filter(|w| w.class == Class::Stop) {
            push(Unit {
                alts: vec![w.stem.clone()],
                class: w.class,
                covers: Vec::new(),
                literal: false,
            });
        }
        let mut i = 0;
        while i < content.len() {
            let longest = matches.iter().filter(|m| m.0 == i).map(|m| m.1).max();
            let Some(len) = longest else {
                let w = content[i];
                push(Unit {
                    alts: vec![w.stem.clone()],
                    class: w.class,
                    covers: Vec::new(),
                    literal: false,
                });
                i += 1;
                continue;
            };
            let here: Vec<&(usize, usize, usize, Class)> =
                matches.iter().filter(|m| m.0 == i && m.1 == len).collect();
            let span = &content[i..i + len];
            push(Unit {
                alts: here.iter().map(|m| synonym_term(m.2)).collect(),
                class: here.iter().map(|m| m.3).max().unwrap_or(Class::Content),
                covers: span.iter().map(|w| w.stem.clone()).collect(),
                literal: false,
            });
            for w in span {
                push(Unit {
                    alts: vec![w.stem.clone()],
                    class: w.class,
                    covers: Vec::new(),
                    literal: true,
                });
            }
            i += len;
        }
        units
    }

    /// Convenience: [`Analyzer::words`] then [`Analyzer::terms`].
    #[cfg(test)]
    pub(crate) fn analyze(&self, text: &str) -> Vec<String> {
        self.terms(&self.words(text))
    }
}

/// The synthetic term of a synonym group. The `~` cannot come out of
/// [`fold`], so it never collides with a word's term.
fn synonym_term(group: usize) -> String {
    format!("~syn{group}")
}

/// True for synthetic synonym terms.
#[cfg(test)]
pub(crate) fn is_synonym_term(term: &str) -> bool {
    term.starts_with('~')
}

/// Classifies and stems one folded word.
#[cfg(test)]
pub(crate) fn word(folded: &str) -> Word {
    word_in(folded, false)
}

/// [`word`], stemmed in English if `english`.
pub(crate) fn word_in(folded: &str, english: bool) -> Word {
    let class = if STOPWORDS.contains(&folded) || auxiliary_lemma(folded).is_some() {
        Class::Stop
    } else if WEAK_WORDS.contains(&folded) || COMMON_WORDS.contains(&folded) {
        Class::Weak
    } else {
        Class::Content
    };
    let stem = match class {
        // Namespaced: a content word can stem to a stopword's spelling
        // ("periti" -> "per") and must not match every "per". The forms of
        // "essere" and "avere" share one term, so that "chi saresti?"
        // meets "chi sei?".
        Class::Stop => format!(".{}", auxiliary_lemma(folded).unwrap_or(folded)),
        _ => stem_in(folded, english),
    };
    Word {
        folded: folded.to_string(),
        stem,
        class,
    }
}

/// The infinitive of a form of "essere" or "avere".
fn auxiliary_lemma(folded: &str) -> Option<&'static str> {
    if ESSERE.contains(&folded) {
        Some("essere")
    } else if AVERE.contains(&folded) {
        Some("avere")
    } else {
        None
    }
}

/// Snowball Italian stem of a folded word. Words with digits ("2024",
/// "a4") are kept whole: stemming them would only lose information.
#[cfg(test)]
pub(crate) fn stem(folded: &str) -> String {
    stem_in(folded, false)
}

/// [`stem`], with the English stemmer if `english`.
pub(crate) fn stem_in(folded: &str, english: bool) -> String {
    if folded.chars().any(|c| c.is_ascii_digit()) {
        return folded.to_string();
    }
    if english {
        return Stemmer::create(Algorithm::English)
            .stem(folded)
            .into_owned();
    }
    // `Stemmer` is a function pointer: creating one per call costs nothing
    // and keeps `Analyzer` `Clone`.
    Stemmer::create(Algorithm::Italian)
        .stem(folded)
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_stretched_three_times_or_more_is_written_once() {
        assert_eq!(fold("Ciaooo"), "ciao");
        assert_eq!(fold("hiii!!!"), "hi   ");
        assert_eq!(fold("grazieeeee mille"), "grazie mille");
        // Doubles stay, and so do digits.
        assert_eq!(fold("attesa 1000 fatture"), "attesa 1000 fatture");
        assert_eq!(fold("àààh"), "ah");
    }

    #[test]
    fn folds_accents_case_and_apostrophes() {
        assert_eq!(fold("L'identità è PERCHÉ più"), "l identita e perche piu");
        assert_eq!(fold("dell’impresa, c'è?"), "dell impresa  c e ");
        assert_eq!(
            split_words(&fold("Città: già!")).collect::<Vec<_>>(),
            ["citta", "gia"]
        );
    }

    #[test]
    fn stems_inflections_together() {
        assert_eq!(stem("certificati"), stem("certificato"));
        assert_eq!(stem("visure"), stem("visura"));
        assert_eq!(stem("identita"), stem(&fold("identità")));
        assert_eq!(stem("2024"), "2024");
    }

    #[test]
    fn classifies_words() {
        assert_eq!(word("della").class, Class::Stop);
        assert_eq!(word("vorrei").class, Class::Weak);
        assert_eq!(word("spid").class, Class::Content);
    }

    #[test]
    fn multi_word_synonyms_map_to_one_term() {
        let groups = vec![vec![
            "cns".to_string(),
            "carta nazionale dei servizi".to_string(),
        ]];
        let a = Analyzer::new(&groups);
        let short = a.analyze("Ho perso la CNS");
        let long = a.analyze("ho perso le carte nazionali dei servizi");
        let syn = synonym_term(0);
        assert!(short.contains(&syn), "{short:?}");
        assert!(long.contains(&syn), "{long:?}");
        // The words themselves are kept as well.
        assert!(long.contains(&stem("nazionali")));
        // A partial phrase does not trigger the group.
        assert!(!a.analyze("carta dei servizi").contains(&syn));
    }

    #[test]
    fn builtin_synonyms_apply_without_site_groups() {
        let a = Analyzer::new(&[]);
        let x = a.analyze("quanto costa");
        let y = a.analyze("qual è il prezzo");
        assert!(
            x.iter().any(|t| is_synonym_term(t) && y.contains(t)),
            "{x:?} {y:?}"
        );
    }

    #[test]
    fn a_synonym_phrase_is_one_unit_with_literal_words() {
        let groups = vec![vec![
            "cns".to_string(),
            "carta nazionale dei servizi".to_string(),
        ]];
        let a = Analyzer::new(&groups);
        let units = a.units(&a.words("rinnovo carta nazionale dei servizi"));
        let phrase: Vec<&Unit> = units.iter().filter(|u| u.covers.len() > 1).collect();
        assert_eq!(phrase.len(), 1, "{units:?}");
        assert_eq!(phrase[0].alts, [synonym_term(0)]);
        assert_eq!(
            phrase[0].covers,
            [stem("carta"), stem("nazionale"), stem("servizi")]
        );
        let literal: Vec<&str> = units
            .iter()
            .filter(|u| u.literal)
            .map(|u| u.alts[0].as_str())
            .collect();
        // "rinnovo" is a one-word member of the built-in "rinnovare" group.
        assert_eq!(
            literal,
            [
                stem("rinnovo"),
                stem("carta"),
                stem("nazionale"),
                stem("servizi")
            ]
        );
        // "dei" is a stopword unit.
        assert!(units
            .iter()
            .any(|u| u.alts == [".dei"] && u.class == Class::Stop));
    }

    #[test]
    fn longest_phrase_wins() {
        let groups = vec![
            vec!["carta".to_string(), "tessera".to_string()],
            vec![
                "carta del conducente".to_string(),
                "driver card".to_string(),
            ],
        ];
        let a = Analyzer::new(&groups);
        let units = a.units(&a.words("carta del conducente"));
        let phrases: Vec<&Unit> = units.iter().filter(|u| !u.covers.is_empty()).collect();
        assert_eq!(phrases.len(), 1, "{units:?}");
        assert_eq!(phrases[0].alts, [synonym_term(1)]);
        // The knowledge base side keeps every group.
        let terms = a.analyze("carta del conducente");
        assert!(terms.contains(&synonym_term(0)) && terms.contains(&synonym_term(1)));
    }

    #[test]
    fn a_phrase_of_one_word_needs_its_function_words() {
        let groups = vec![vec!["arrivederci".to_string(), "alla prossima".to_string()]];
        let a = Analyzer::new(&groups);
        let syn = synonym_term(0);
        assert!(a.analyze("ok, alla prossima").contains(&syn));
        // «prossima» alone is no goodbye.
        assert!(!a.analyze("la prossima settimana").contains(&syn));
        let units = a.units(&a.words("grazie, alla prossima"));
        assert!(units.iter().any(|u| u.alts.contains(&syn)), "{units:?}");
    }

    #[test]
    fn auxiliary_forms_share_a_term() {
        assert_eq!(word("saresti").stem, word("sei").stem);
        assert_eq!(word("avrei").stem, word("ho").stem);
        assert_ne!(word("sei").stem, word("ho").stem);
        assert_eq!(word("sei").class, Class::Stop);
    }

    #[test]
    fn english_is_recognised() {
        let a = Analyzer::new(&[]);
        assert!(looks_english(&a.words("how can I book an appointment")));
        assert!(!looks_english(
            &a.words("come posso prenotare un appuntamento")
        ));
        // One English-looking word is not enough ("do" is Italian too).
        assert!(!looks_english(&a.words("ti do il mio numero")));
        assert!(surely_english(
            &a.words("my wife needs a visa, where do we apply?")
        ));
        assert!(!surely_english(&a.words("ti do il mio numero, how?")));
        assert!(!surely_english(&a.words("come faccio a fare lo SPID?")));
    }

    #[test]
    fn chat_shorthand_is_expanded() {
        let a = Analyzer::new(&[]);
        let folded =
            |t: &str| -> Vec<String> { a.words(t).into_iter().map(|w| w.folded).collect() };
        assert_eq!(
            folded("x la firma nn ho capito xké"),
            ["per", "la", "firma", "non", "ho", "capito", "perche"]
        );
        assert_eq!(a.words("grz").first().map(|w| w.class), Some(Class::Weak));
    }

    #[test]
    fn english_only_synonyms_stay_out_of_italian() {
        let en = Analyzer::new_in(&[], true);
        let fine = en.analyze("fine");
        assert!(en
            .analyze("penalty")
            .iter()
            .any(|t| is_synonym_term(t) && fine.contains(t)));
        // In Italian «fine» is «end»: no synonym term at all.
        let it = Analyzer::new(&[]);
        assert!(!it.analyze("fine").iter().any(|t| is_synonym_term(t)));
        // English negations are function words: «doesn't» says nothing.
        assert!(en
            .words("doesn't dont")
            .iter()
            .all(|w| w.class == Class::Stop));
    }

    #[test]
    fn everyday_words_are_weak() {
        assert_eq!(word("aprile").class, Class::Weak);
        assert_eq!(word("domani").class, Class::Weak);
    }
}
