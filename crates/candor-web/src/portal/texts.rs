//! The portal's words in French and English (P3). A struct, as for the back office: a
//! template that names a missing word does not compile.

use candor_domain::catalogue::DataCategory;
use candor_domain::consent::{Action, Channel, Source};
use candor_domain::personal::Locale;
use candor_domain::request::{RequestKind, RequestStatus};

texts! {
    other_lang: "Français", "English";
    colon: ":", " :";
    other_lang_code: "fr", "en";
    skip: "Skip to content", "Aller au contenu";
    title: "Your privacy space", "Votre espace confidentialité";
    intro: "See the data we hold about you and why, choose what you agree to, correct your data, download it, or ask us to erase it.", "Consultez les données que nous détenons sur vous et pourquoi, choisissez ce que vous acceptez, corrigez vos données, téléchargez-les ou demandez leur effacement.";
    email: "Your email address", "Votre adresse e-mail";
    send_link: "Email me a sign-in link", "Recevoir un lien de connexion";
    link_help: "We send a link to this address if we hold it. The link works once, for 15 minutes.", "Nous envoyons un lien à cette adresse si nous la connaissons. Le lien sert une fois, pendant 15 minutes.";
    link_sent: "If this address is one we hold, a sign-in link is on its way to it. It works once and expires in 15 minutes. Nothing arrived? Check your spam folder, or ask again in a few minutes.", "Si nous connaissons cette adresse, un lien de connexion vient d'y être envoyé. Il sert une fois et expire dans 15 minutes. Rien reçu ? Regardez dans les indésirables, ou redemandez dans quelques minutes.";
    email_invalid: "Enter a valid email address (name@domain.com).", "Saisissez une adresse e-mail valide (nom@domaine.fr).";
    limited: "Too many requests: wait a few minutes before asking again.", "Trop de demandes : attendez quelques minutes avant de redemander.";
    with_password: "Sign in with a password", "Se connecter avec un mot de passe";
    password: "Password", "Mot de passe";
    sign_in: "Sign in", "Se connecter";
    login_failed: "This email and password do not open an account. You can always ask for a sign-in link.", "Cette adresse et ce mot de passe n'ouvrent aucun compte. Vous pouvez toujours demander un lien de connexion.";
    expired_session: "Your session ended; ask for a new sign-in link.", "Votre session a pris fin ; demandez un nouveau lien de connexion.";
    signed_out: "Your session is closed.", "Votre session est fermée.";
    enter_title: "Open your privacy space", "Ouvrir votre espace confidentialité";
    enter_ask: "This link opens your privacy space once. Open it now?", "Ce lien ouvre votre espace confidentialité une seule fois. L'ouvrir maintenant ?";
    enter_button: "Open my privacy space", "Ouvrir mon espace";
    link_used: "This link has already been used: it opens nothing any more. Ask for a new one.", "Ce lien a déjà servi : il n'ouvre plus rien. Demandez-en un nouveau.";
    link_expired: "This link has expired: it opens nothing any more. Ask for a new one.", "Ce lien a expiré : il n'ouvre plus rien. Demandez-en un nouveau.";
    link_unknown: "This link is not valid: it opens nothing.", "Ce lien n'est pas valide : il n'ouvre rien.";
    ask_again: "Ask for a new link", "Demander un nouveau lien";
    hello: "Hello", "Bonjour";
    sign_out: "Sign out", "Se déconnecter";
    nav_label: "Sections", "Sections";
    held_title: "What we hold about you", "Ce que nous détenons sur vous";
    held_intro: "Each item, why we keep it, on what legal ground, for how long, and who in our company may see it.", "Chaque donnée, pourquoi nous la gardons, sur quelle base légale, combien de temps, et qui dans notre entreprise peut la voir.";
    cat_identifying: "Who you are and how to reach you", "Qui vous êtes et comment vous joindre";
    cat_transactional: "Your dealings with us", "Vos échanges commerciaux avec nous";
    cat_technical: "Technical information", "Informations techniques";
    cat_special: "Sensitive data", "Données sensibles";
    why: "Why", "Pourquoi";
    purposes: "Used for", "Utilisée pour";
    basis: "Legal ground", "Base légale";
    retention: "Kept", "Conservée";
    seen_by: "Who may see it", "Qui peut la voir";
    records_title: "Other records about you", "Autres enregistrements vous concernant";
    records_count: "record(s)", "enregistrement(s)";
    consents_title: "Your consents", "Vos consentements";
    consents_intro: "One switch per use and per channel. Turning one on or off takes effect at once.", "Un interrupteur par usage et par canal. L'activer ou le désactiver prend effet immédiatement.";
    purpose: "Use", "Usage";
    on: "On", "Activé";
    off: "Off", "Désactivé";
    waiting: "Waiting", "En attente";
    turn_on: "Turn on", "Activer";
    turn_off: "Turn off", "Désactiver";
    nothing_more: "Nothing more from us", "Ne plus rien recevoir de nous";
    nothing_more_help: "Stops every message from us on every channel, except what the law requires us to send you.", "Arrête tout message de notre part sur tous les canaux, sauf ce que la loi nous oblige à vous envoyer.";
    consent_saved: "Done: your choice is recorded and applies now.", "C'est fait : votre choix est enregistré et s'applique dès maintenant.";
    history: "History of your consents", "Historique de vos consentements";
    date: "Date", "Date";
    action: "Action", "Action";
    source: "From", "Origine";
    channel: "Channel", "Canal";
    correct_title: "Correct your data", "Corriger vos données";
    correct_intro: "Change what is wrong; what you leave as it is stays. For any other correction, write to our data protection officer.", "Modifiez ce qui est inexact ; ce que vous laissez tel quel ne change pas. Pour toute autre correction, écrivez à notre délégué à la protection des données.";
    correct_button: "Save my corrections", "Enregistrer mes corrections";
    corrected: "Your corrections are saved. A confirmation is on its way by email.", "Vos corrections sont enregistrées. Une confirmation vous est envoyée par e-mail.";
    not_saved: "Nothing was saved: correct the fields marked below.", "Rien n'a été enregistré : corrigez les champs signalés ci-dessous.";
    nothing_changed: "Nothing differs from what we hold: nothing was changed.", "Rien ne diffère de ce que nous détenons : rien n'a changé.";
    french: "French", "Français";
    english: "English", "Anglais";
    download_title: "Download your data", "Télécharger vos données";
    download_intro: "A zip file: a readable report, your data as JSON and CSV, your contact card (vCard) and a signed manifest. Each download is recorded as an answered access request.", "Un fichier zip : un rapport lisible, vos données en JSON et CSV, votre fiche contact (vCard) et un manifeste signé. Chaque téléchargement est enregistré comme une demande d'accès satisfaite.";
    download_button: "Download my data", "Télécharger mes données";
    requests_title: "Your requests", "Vos demandes";
    requests_intro: "Ask us to erase your data, to restrict its use, or object to a use. You get a signed acknowledgement of receipt, and an answer within one month.", "Demandez l'effacement de vos données, la limitation de leur usage, ou opposez-vous à un usage. Vous recevez un accusé de réception signé, et une réponse sous un mois.";
    request_kind: "Your request", "Votre demande";
    request_details: "Details (optional)", "Précisions (facultatif)";
    request_button: "Send my request", "Envoyer ma demande";
    no_requests: "No request so far.", "Aucune demande pour l'instant.";
    received_on: "Received", "Reçue le";
    deadline: "Answer due by", "Réponse au plus tard le";
    status: "Status", "État";
    receipt: "Acknowledgement of receipt", "Accusé de réception";
    receipt_title: "Your request is received", "Votre demande est reçue";
    receipt_intro: "Keep this acknowledgement: it is dated and signed by us, and a copy is on its way by email.", "Gardez cet accusé : il est daté et signé par nous, et une copie vous est envoyée par e-mail.";
    reference: "Reference", "Référence";
    signature: "Signature (Ed25519)", "Signature (Ed25519)";
    receipt_download: "Download the signed receipt (JSON)", "Télécharger l'accusé signé (JSON)";
    back: "Back to my privacy space", "Retour à mon espace";
    account_title: "A password, if you wish", "Un mot de passe, si vous le souhaitez";
    account_intro: "Sign in without waiting for an email. Creating this account is a consent of its own, which you can withdraw like the others.", "Connectez-vous sans attendre un e-mail. Créer ce compte est un consentement à part entière, que vous pouvez retirer comme les autres.";
    account_has: "You have a password; you can change it here.", "Vous avez un mot de passe ; vous pouvez le changer ici.";
    new_password: "New password (12 characters or more)", "Nouveau mot de passe (12 caractères ou plus)";
    account_button: "Save my password", "Enregistrer mon mot de passe";
    account_saved: "Your password is saved.", "Votre mot de passe est enregistré.";
    not_found: "Nothing here.", "Rien ici.";
    refused: "This form has expired: go back and try again.", "Ce formulaire a expiré : revenez en arrière et réessayez.";
    error: "Something went wrong on our side; nothing was changed. Try again later.", "Une erreur est survenue de notre côté ; rien n'a changé. Réessayez plus tard.";
    ch_email: "Email", "E-mail";
    ch_sms: "SMS", "SMS";
    ch_phone: "Phone", "Téléphone";
    ch_post: "Post", "Courrier";
    all_purposes: "Everything", "Tout";
    act_grant: "Given", "Donné";
    act_withdraw: "Withdrawn", "Retiré";
    act_refuse: "Refused", "Refusé";
    act_confirm: "Confirmed", "Confirmé";
    act_lapse: "Lapsed", "Expiré";
    src_portal: "This space", "Cet espace";
    src_email_link: "A link we emailed you", "Un lien reçu par e-mail";
    src_web_form: "A form on our site", "Un formulaire de notre site";
    src_staff: "Recorded by our staff", "Enregistré par notre équipe";
    src_import: "An import", "Un import";
    src_api: "Another of our systems", "Un autre de nos systèmes";
    rk_access: "Access", "Accès";
    rk_rectification: "Rectification", "Rectification";
    rk_erasure: "Erase my data", "Effacer mes données";
    rk_portability: "Portability", "Portabilité";
    rk_restriction: "Restrict the use of my data", "Limiter l'usage de mes données";
    rk_objection: "Object to a use of my data", "M'opposer à un usage de mes données";
    rk_information: "Information", "Information";
    st_received: "Received", "Reçue";
    st_verified: "Identity checked", "Identité vérifiée";
    st_in_progress: "In progress", "En cours";
    st_answered: "Answered", "Traitée";
    st_refused: "Refused", "Refusée";
}

/// A value the templates hand over as it is or behind references (askama borrows).
pub trait Val<T: Copy> {
    fn val(&self) -> T;
}

impl<T: Copy> Val<T> for T {
    fn val(&self) -> T {
        *self
    }
}

impl<T: Copy> Val<T> for &T {
    fn val(&self) -> T {
        **self
    }
}

impl<T: Copy> Val<T> for &&T {
    fn val(&self) -> T {
        ***self
    }
}

pub fn texts(locale: Locale) -> &'static Texts {
    match locale {
        Locale::En => &EN,
        Locale::Fr => &FR,
    }
}

impl Texts {
    pub fn locale(&self) -> Locale {
        if self.lang == "en" {
            Locale::En
        } else {
            Locale::Fr
        }
    }

    pub fn category(&self, c: impl Val<DataCategory>) -> &'static str {
        match c.val() {
            DataCategory::Identifying => self.cat_identifying,
            DataCategory::Transactional => self.cat_transactional,
            DataCategory::Technical => self.cat_technical,
            DataCategory::SpecialCategory => self.cat_special,
        }
    }

    pub fn channel(&self, c: impl Val<Channel>) -> &'static str {
        match c.val() {
            Channel::Email => self.ch_email,
            Channel::Sms => self.ch_sms,
            Channel::Phone => self.ch_phone,
            Channel::Post => self.ch_post,
        }
    }

    pub fn action(&self, a: impl Val<Action>) -> &'static str {
        match a.val() {
            Action::Grant => self.act_grant,
            Action::Withdraw => self.act_withdraw,
            Action::Refuse => self.act_refuse,
            Action::Confirm => self.act_confirm,
            Action::Lapse => self.act_lapse,
        }
    }

    pub fn source(&self, s: impl Val<Source>) -> &'static str {
        match s.val() {
            Source::Portal => self.src_portal,
            Source::EmailLink => self.src_email_link,
            Source::WebForm => self.src_web_form,
            Source::Import => self.src_import,
            Source::Api => self.src_api,
            _ => self.src_staff,
        }
    }

    pub fn kind(&self, k: impl Val<RequestKind>) -> &'static str {
        match k.val() {
            RequestKind::Access => self.rk_access,
            RequestKind::Rectification => self.rk_rectification,
            RequestKind::Erasure => self.rk_erasure,
            RequestKind::Portability => self.rk_portability,
            RequestKind::Restriction => self.rk_restriction,
            RequestKind::Objection => self.rk_objection,
            RequestKind::Information => self.rk_information,
        }
    }

    pub fn status(&self, s: impl Val<RequestStatus>) -> &'static str {
        match s.val() {
            RequestStatus::Received => self.st_received,
            RequestStatus::IdentityVerified => self.st_verified,
            RequestStatus::InProgress => self.st_in_progress,
            RequestStatus::Answered => self.st_answered,
            RequestStatus::Refused => self.st_refused,
        }
    }
}
