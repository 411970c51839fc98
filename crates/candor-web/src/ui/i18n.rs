//! The back office's words in French and English. A struct, not a lookup table: a
//! template that names a missing word does not compile.

use candor_domain::personal::Locale;

macro_rules! texts {
    ($($key:ident: $en:literal, $fr:literal;)*) => {
        pub struct Texts {
            pub lang: &'static str,
            $(pub $key: &'static str,)*
        }
        pub const EN: Texts = Texts { lang: "en", $($key: $en,)* };
        pub const FR: Texts = Texts { lang: "fr", $($key: $fr,)* };
    };
}

texts! {
    other_lang: "Français", "English";
    other_lang_code: "fr", "en";
    skip: "Skip to content", "Aller au contenu";
    nav_label: "Main menu", "Menu principal";
    contacts: "Contacts", "Contacts";
    companies: "Companies", "Entreprises";
    campaigns: "Campaigns", "Campagnes";
    audit: "Access audit", "Journal des accès";
    outbox: "Outbox", "Boîte d'envoi";
    settings: "Settings", "Paramètres";
    logout: "Log out", "Se déconnecter";
    signed_in_as: "Signed in as", "Connecté en tant que";
    role: "Role", "Rôle";
    login_title: "Sign in to Candor", "Connexion à Candor";
    email: "Email", "Adresse e-mail";
    password: "Password", "Mot de passe";
    sign_in: "Sign in", "Se connecter";
    login_failed: "This email and password do not open an account.", "Cette adresse et ce mot de passe n'ouvrent aucun compte.";
    login_limited: "Too many attempts: wait a few minutes before trying again.", "Trop d'essais : attendez quelques minutes avant de réessayer.";
    logged_out: "You are signed out; your session is deleted.", "Vous êtes déconnecté ; votre session est supprimée.";
    expired: "Your session ended; sign in again.", "Votre session a pris fin ; reconnectez-vous.";
    search: "Search", "Rechercher";
    search_name: "Name starts with", "Le nom commence par";
    search_email: "Exact email", "E-mail exact";
    search_company: "Company name contains", "Le nom de l'entreprise contient";
    kind: "Kind", "Type";
    any: "Any", "Tous";
    next_page: "Next page", "Page suivante";
    first_page: "First page", "Première page";
    no_results: "Nothing matches.", "Aucun résultat.";
    name: "Name", "Nom";
    open: "Open", "Ouvrir";
    why_keep: "Why we keep this", "Pourquoi nous gardons ceci";
    edit: "Edit", "Modifier";
    save: "Save", "Enregistrer";
    cancel: "Cancel", "Annuler";
    saved: "Saved.", "Enregistré.";
    not_saved: "Nothing was saved: correct the fields marked below.", "Rien n'a été enregistré : corrigez les champs signalés ci-dessous.";
    field: "Field", "Champ";
    value: "Value", "Valeur";
    empty: "(empty)", "(vide)";
    consents: "Consents", "Consentements";
    consent_state: "Current state, per purpose and channel", "État actuel, par finalité et par canal";
    purpose: "Purpose", "Finalité";
    channel: "Channel", "Canal";
    status: "Status", "État";
    since: "Since", "Depuis";
    pending_doi: "Waiting for the person's confirmation (double opt-in)", "En attente de la confirmation de la personne (double opt-in)";
    pending_written: "Waiting for the reference of the signed document (written consent)", "En attente de la référence du document signé (consentement écrit)";
    never_asked: "Never asked", "Jamais demandé";
    timeline: "Ledger, newest first", "Registre, du plus récent au plus ancien";
    when: "When", "Quand";
    action: "Action", "Action";
    source: "Source", "Source";
    evidence: "Evidence", "Preuve";
    record_consent: "Record a consent given face to face", "Enregistrer un consentement donné en personne";
    record_consent_help: "At a trade show, a meeting, on a signed form or on the phone: write down what the person agreed to (or withdrew, or refused), in their words or the form's, and where the signed copy is kept.", "Sur un salon, en rendez-vous, sur un formulaire signé ou au téléphone : notez ce que la personne a accepté (ou retiré, ou refusé), avec ses mots ou ceux du formulaire, et où est rangé l'exemplaire signé.";
    wording: "Wording the person agreed to", "Texte accepté par la personne";
    document_ref: "Reference of the signed document", "Référence du document signé";
    note: "Note", "Note";
    record: "Record", "Enregistrer";
    consent_recorded: "The consent is recorded in the ledger.", "Le consentement est inscrit au registre.";
    grant: "Grant", "Accord";
    withdraw: "Withdrawal", "Retrait";
    refuse: "Refusal", "Refus";
    contracts: "Contracts", "Contrats";
    audit_of_contact: "Who accessed this contact", "Qui a consulté ce contact";
    segments: "Segments", "Segments";
    new_segment: "New segment", "Nouveau segment";
    segment_help: "Pick who the segment holds. Only the fields your role may read can be used.", "Choisissez qui le segment contient. Seuls les champs que votre rôle peut lire sont utilisables.";
    segment_name: "Segment name", "Nom du segment";
    create: "Create", "Créer";
    count: "Count", "Nombre";
    consent_to: "Has given consent to", "A donné son consentement pour";
    running_contract: "Has a running contract", "A un contrat en cours";
    city: "City", "Ville";
    country: "Country (ISO code)", "Pays (code ISO)";
    new_campaign: "New campaign", "Nouvelle campagne";
    campaign_name: "Campaign name", "Nom de la campagne";
    category: "Category", "Catégorie";
    segment: "Segment", "Segment";
    subject_fr: "Subject (French)", "Objet (français)";
    body_fr: "Text (French)", "Texte (français)";
    subject_en: "Subject (English)", "Objet (anglais)";
    body_en: "Text (English)", "Texte (anglais)";
    audience: "Audience report", "Rapport d'audience";
    segment_size: "In the segment", "Dans le segment";
    allowed: "Allowed to receive it", "Autorisés à le recevoir";
    excluded: "Left out, rule by rule", "Écartés, règle par règle";
    rule: "Rule", "Règle";
    send: "Send", "Envoyer";
    send_confirm: "Send to every allowed person now", "Envoyer maintenant à chaque personne autorisée";
    sent: "Sent", "Envoyée";
    draft: "Draft", "Brouillon";
    queued: "Queued", "Mis en file";
    already_sent: "This campaign was already sent: nobody got it twice.", "Cette campagne était déjà envoyée : personne ne l'a reçue deux fois.";
    results: "Results", "Résultats";
    opens: "Opens", "Ouvertures";
    clicks: "Clicks", "Clics";
    audit_search: "Search the access audit", "Rechercher dans le journal des accès";
    newest_only: "Only the 200 newest entries are shown: narrow the search by contact, user or dates.", "Seules les 200 entrées les plus récentes sont affichées : précisez la recherche par contact, utilisateur ou dates.";
    confirm_send: "I have read the audience report and send now", "J'ai lu le rapport d'audience et j'envoie maintenant";
    contact_id: "Contact id", "Identifiant du contact";
    user: "User", "Utilisateur";
    from_date: "From (date)", "Du (date)";
    until_date: "To (date, included)", "Au (date, incluse)";
    actor: "Who", "Qui";
    fields: "Fields", "Champs";
    endpoint: "Where", "Où";
    to: "To", "À";
    subject: "Subject", "Objet";
    read: "Read", "Lire";
    users: "Users and roles", "Utilisateurs et rôles";
    add_user: "Add a user", "Ajouter un utilisateur";
    language: "Language", "Langue";
    user_created: "User created. Give them this password, shown once:", "Utilisateur créé. Transmettez-lui ce mot de passe, affiché une seule fois :";
    password_help: "Leave blank to generate one (shown once).", "Laissez vide pour en générer un (affiché une fois).";
    disabled: "Disabled", "Désactivé";
    disable: "Disable", "Désactiver";
    active: "Active", "Actif";
    catalogue: "Field catalogue", "Catalogue des champs";
    purposes: "Purposes", "Finalités";
    retention: "Retention", "Conservation";
    basis: "Lawful basis", "Base légale";
    who_sees: "Who may see it", "Qui peut le voir";
    add_field: "Add a custom field", "Ajouter un champ personnalisé";
    field_name: "Name (lowercase, digits, _)", "Nom (minuscules, chiffres, _)";
    label_fr: "Label (French)", "Libellé (français)";
    label_en: "Label (English)", "Libellé (anglais)";
    why_fr: "Why we keep it (French)", "Pourquoi nous le gardons (français)";
    why_en: "Why we keep it (English)", "Pourquoi nous le gardons (anglais)";
    retention_fr: "Retention (French)", "Conservation (français)";
    retention_en: "Retention (English)", "Conservation (anglais)";
    value_type: "Value type", "Type de valeur";
    max_length: "Maximum length (text)", "Longueur maximale (texte)";
    data_category: "Data category", "Catégorie de données";
    roles_read: "Roles that read it, and why (one line per role: role: reason)", "Rôles qui le lisent, et pourquoi (une ligne par rôle : rôle : raison)";
    field_added: "Field added to the catalogue.", "Champ ajouté au catalogue.";
    description: "Description", "Description";
    consent_based: "Rests on consent", "Repose sur le consentement";
    yes: "Yes", "Oui";
    no: "No", "Non";
    forbidden: "Your role may not do this.", "Votre rôle ne permet pas cela.";
    not_found: "Not found.", "Introuvable.";
    error_title: "Something went wrong", "Un problème est survenu";
    csrf_refused: "This form has expired or did not come from Candor: nothing was changed. Reload the page and try again.", "Ce formulaire a expiré ou ne vient pas de Candor : rien n'a changé. Rechargez la page et recommencez.";
    back: "Back", "Retour";
    home_title: "Welcome", "Bienvenue";
    created_at: "Created", "Créé le";
    total: "Total", "Total";
    pagination: "Pages", "Pages";
    entity: "Record type", "Type de fiche";
    op_equals: "is", "est";
    op_contains: "contains", "contient";
    untitled: "Contact without a name", "Contact sans nom";
    new_contact: "New contact", "Nouveau contact";
}

impl Texts {
    /// The reader's half of a catalogue text.
    pub fn pick<'a>(&self, text: &'a candor_domain::catalogue::Text) -> &'a str {
        if self.lang == "en" {
            &text.en
        } else {
            &text.fr
        }
    }
}

pub fn texts(locale: &str) -> &'static Texts {
    match Locale::parse("locale", locale) {
        Ok(Locale::En) => &EN,
        _ => &FR,
    }
}

/// A field error as a person reads it in their language: the API's English message,
/// or its French wording for the rules people meet when they type. The rule id stays
/// the same either way; unknown rules keep the API's message.
pub fn field_message(t: &Texts, rule: &str, message: &str) -> String {
    if t.lang != "fr" {
        return message.to_owned();
    }
    let fr = match rule {
        "required" => "ne peut pas être vide",
        "phone_format" => "doit être un numéro de téléphone valide, au format international (+33 6 12 34 56 78) ou national français (06 12 34 56 78)",
        "email_format" => "doit être une adresse e-mail valide (nom@domaine.fr)",
        "postal_code_format" => "doit être un code postal valide pour le pays",
        "name_letters" => "doit contenir des lettres (espaces, traits d'union et apostrophes admis)",
        "no_control_characters" => "ne doit pas contenir de caractères de contrôle",
        "country_code" => "doit être un code pays ISO à deux lettres (FR, BE, …)",
        "b2b_needs_company" => "un contact B2B est une personne dans une entreprise : choisissez l'entreprise",
        "company_exists" => "aucune entreprise n'a cet identifiant",
        "contact_kind" => "doit être b2b ou b2c",
        "locale" => "doit être fr ou en",
        "wording_required" => "écrivez ce que la personne a accepté",
        "already_taken" => "un autre contact a déjà cette valeur : cherchez-le plutôt que d'en créer un second",
        "person_only_source" => "seule la personne enregistre cela, depuis son portail ou un lien que Candor lui envoie",
        "import_only_source" => "seul l'import enregistre cette source",
        "special_category_data" => {
            return format!(
                "révèle une donnée sensible (RGPD art. 9), refusée ici — {message}"
            )
        }
        "max_length" => {
            let n: String = message.chars().filter(char::is_ascii_digit).collect();
            return format!("au plus {n} caractères");
        }
        _ => return message.to_owned(),
    };
    fr.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_users_read_field_errors_in_french() {
        let msg = "must be a valid phone number, in international form";
        assert_eq!(field_message(&EN, "phone_format", msg), msg);
        assert!(field_message(&FR, "phone_format", msg).starts_with("doit être un numéro"));
        assert_eq!(
            field_message(&FR, "max_length", "must be at most 100 characters"),
            "au plus 100 caractères"
        );
        assert_eq!(field_message(&FR, "some_new_rule", msg), msg);
    }
}
