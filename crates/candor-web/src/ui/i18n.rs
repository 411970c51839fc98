//! The back office's words in French and English. A struct, not a lookup table: a
//! template that names a missing word does not compile.

use candor_domain::personal::Locale;

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
    more_than: "more than", "plus de";
    orders: "Orders", "Commandes";
    none_yet: "None yet.", "Aucun pour l'instant.";
    order_date: "Ordered on", "Date de commande";
    amount: "Amount", "Montant";
    order_lines: "Lines", "Lignes";
    reference: "Reference", "Référence";
    starts_on: "Starts", "Début";
    ends_on: "Ends", "Fin";
    history: "History", "Historique";
    history_help: "Web visits and email events (for the roles that may read tracking), emails sent (for those that may read the address), requests, and changes to the record: who, when, which fields. Newest first, the last 50 of each.", "Visites du site et événements d'e-mail (pour les rôles qui lisent le suivi), e-mails envoyés (pour ceux qui lisent l'adresse), demandes, et modifications de la fiche : qui, quand, quels champs. Les plus récents d'abord, les 50 derniers de chaque sorte.";
    search_words: "Name, email or phone", "Nom, e-mail ou téléphone";
    search_hint: "Any case, with or without accents: “helene lef”, “lefevre@”, “06 12 34”.", "Majuscules et accents indifférents : « helene lef », « lefevre@ », « 06 12 34 ».";
    search_contacts: "Search contacts", "Rechercher un contact";
    search_placeholder: "Find a contact…", "Trouver un contact…";
    search_all: "All the contacts found", "Tous les contacts trouvés";
    search_company: "Company name contains", "Le nom de l'entreprise contient";
    kind: "Kind", "Type";
    any: "Any", "Tous";
    next_page: "Next page", "Page suivante";
    first_page: "First page", "Première page";
    no_results: "Nothing matches.", "Aucun résultat.";
    name: "Name", "Nom";
    open: "Open", "Ouvrir";
    why_keep: "Why we keep this", "Pourquoi nous gardons ceci";
    why_you_see: "Why your role has it", "Pourquoi votre rôle y a accès";
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
    audit_contact: "Contact", "Contact";
    audit_contact_hint: "name, email, phone or id", "nom, e-mail, téléphone ou identifiant";
    audit_pick_contact: "Several contacts match: pick one.", "Plusieurs contacts correspondent : choisissez-en un.";
    audit_csv: "Download as CSV (10,000 rows at most)", "Télécharger en CSV (10 000 lignes au plus)";
    audit_older: "Older entries", "Entrées plus anciennes";
    audit_only_this: "only this contact", "ce contact seulement";
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
    rq_title: "Requests from people", "Demandes des personnes";
    rq_access: "Access", "Accès";
    rq_rectification: "Rectification", "Rectification";
    rq_erasure: "Erasure", "Effacement";
    rq_portability: "Portability", "Portabilité";
    rq_restriction: "Restriction", "Limitation";
    rq_objection: "Objection", "Opposition";
    rq_information: "Information", "Information";
    rq_in_person: "In person", "En personne";
    rq_letter: "Letter", "Courrier";
    rq_phone: "Phone", "Téléphone";
    rq_portal: "Privacy portal", "Portail de confidentialité";
    rq_received: "Received", "Reçue";
    rq_identity_verified: "Identity verified", "Identité vérifiée";
    rq_in_progress: "In progress", "En cours";
    rq_answered: "Answered", "Répondue";
    rq_refused: "Refused", "Refusée";
    rq_unfounded: "Manifestly unfounded (Art. 12(5))", "Manifestement infondée (art. 12.5)";
    rq_excessive: "Excessive (Art. 12(5))", "Excessive (art. 12.5)";
    rq_identity_not_established: "Identity not established (Art. 12(6))", "Identité non établie (art. 12.6)";
    rq_days_left: "{n} days left", "{n} jours restants";
    rq_days_late: "{n} days late", "{n} jours de retard";
    rq_due: "Due", "Échéance";
    rq_due_week: "Within 7 days or late", "Sous 7 jours ou en retard";
    rq_due_late: "Late", "En retard";
    rq_deadline: "Deadline", "Échéance";
    rq_days: "Time left", "Temps restant";
    rq_received_on: "Received on", "Reçue le";
    rq_new: "Record a request", "Enregistrer une demande";
    rq_new_help: "A request received by letter, email, phone or at the desk. Date it from its receipt: the deadline runs from then. Name the contact, or write what the person gave if no contact matches.", "Une demande reçue par courrier, e-mail, téléphone ou au guichet. Datez-la de sa réception : le délai court à partir de là. Indiquez le contact, ou ce que la personne a donné si aucun contact ne correspond.";
    rq_contact: "Contact id (if known)", "Identifiant du contact (s'il est connu)";
    rq_postal_address: "Postal address", "Adresse postale";
    rq_details: "What the person asks", "Ce que demande la personne";
    rq_done_received: "The request is recorded; its signed receipt is ready and was emailed to the person if an address is known.", "La demande est enregistrée ; son accusé de réception signé est prêt et a été envoyé à la personne si une adresse est connue.";
    rq_subject: "Concerns", "Concerne";
    rq_contact_record: "the contact's record", "la fiche du contact";
    rq_no_contact: "no contact matched", "aucun contact ne correspond";
    rq_identity: "Identity", "Identité";
    rq_identity_pending: "not verified yet: nothing is disclosed or changed before", "pas encore vérifiée : rien n'est communiqué ni modifié avant";
    rq_extension: "Extension", "Prolongation";
    rq_restricts: "Processing restricted: only legal notices go to this person", "Traitement limité : seuls les avis légaux partent vers cette personne";
    rq_receipt: "Signed acknowledgement of receipt", "Accusé de réception signé";
    rq_receipt_file: "Download the signed file", "Télécharger le fichier signé";
    rq_steps: "Handle the request", "Traiter la demande";
    rq_identity_method: "What was checked to establish the person's identity", "Ce qui a été vérifié pour établir l'identité de la personne";
    rq_verify: "Identity verified", "Identité vérifiée";
    rq_answer_note: "How the request was answered", "Comment la demande a été traitée";
    rq_answer: "Answer and close", "Répondre et clore";
    rq_answered_by_act: "This request is answered by its act: the bundle delivered, the data corrected or erased.", "Cette demande est close par son acte : les données remises, corrigées ou effacées.";
    rq_months: "Extension, in months", "Prolongation, en mois";
    rq_extension_reason: "Why more time is needed (the person is told)", "Pourquoi plus de temps est nécessaire (la personne en est informée)";
    rq_extend: "Extend the deadline", "Prolonger le délai";
    rq_refusal_reason: "Reason for refusing", "Motif du refus";
    rq_refuse: "Refuse the request", "Refuser la demande";
    rq_lift_note: "Why the restriction ends (the person is told beforehand)", "Pourquoi la limitation prend fin (la personne en est informée au préalable)";
    rq_lift: "Lift the restriction", "Lever la limitation";
    rq_timeline: "Timeline", "Historique";
    rq_changed_meanwhile: "Someone changed this request meanwhile: here it is as it stands now.", "Quelqu'un a modifié cette demande entre-temps : la voici telle qu'elle est maintenant.";
    rq_reference: "Request reference", "Référence de la demande";
    rq_organisation: "Organisation", "Organisme";
    rq_dpo: "Data protection officer", "Délégué à la protection des données";
    rq_issued_at: "Issued at", "Émis le";
    rq_key_id: "Signing key", "Clé de signature";
    rq_heading: "Request: {kind}", "Demande : {kind}";
    rq_done_rectified: "Corrected: the person is told by email and the request is answered.", "Corrigé : la personne est prévenue par email et la demande est close.";
    rq_rectify: "Apply the corrections", "Appliquer les corrections";
    rq_erase: "Erase the person and answer", "Effacer la personne et répondre";
    erase_title: "Erase this person", "Effacer cette personne";
    erase_help: "Everything held on them is deleted: fields, web visits, emails, consents, access history. Orders and contracts stay under their legal hold, naming no one; requests stay as proof, without what the person gave. Their email and phone go on the suppression list. This cannot be undone.", "Tout ce qui est détenu sur elle est supprimé : champs, visites, emails, consentements, historique des accès. Les commandes et contrats restent sous leur obligation légale de conservation, sans nommer personne ; les demandes restent comme preuve, sans ce que la personne a fourni. Son email et son téléphone vont sur la liste d'opposition. C'est définitif.";
    erase_confirm: "I understand: this cannot be undone", "Je comprends : c'est définitif";
    erase_button: "Erase", "Effacer";
    erase_confirm_needed: "Tick the box to confirm the erasure: nothing was erased.", "Cochez la case pour confirmer l'effacement : rien n'a été effacé.";
    erased_title: "Person erased", "Personne effacée";
    erased_done: "Erased. Nothing of this person remains but what the legal holds keep, naming no one.", "Effacée. Il ne reste rien de cette personne que ce que les obligations légales conservent, sans la nommer.";
    erased_on: "Erased on", "Effacée le";
    erased_by: "By", "Par";
    erased_why: "Why", "Motif";
    erased_record: "Erasure record", "Trace de l'effacement";
    erased_help: "This record holds no personal data: what was done to each kind of record, by whom and why. It is chained and kept by the signed checkpoints, so `candor verify` still proves the history.", "Cette trace ne contient aucune donnée personnelle : ce qui a été fait à chaque type d'enregistrement, par qui et pourquoi. Elle est chaînée et conservée par les points de contrôle signés : `candor verify` prouve toujours l'historique.";
    erased_what: "What was done", "Ce qui a été fait";
    erased_table: "Records", "Enregistrements";
    erased_deleted: "Deleted", "Supprimés";
    erased_minimised: "Kept as proof, minimised", "Gardés comme preuve, réduits";
    erased_held: "Under legal hold", "Sous obligation légale";
    erased_sealed: "Chain heads sealed", "Têtes de chaîne scellées";
    erased_holds: "Kept under a legal hold", "Conservé au titre d'une obligation légale";
    erased_no_hold: "Nothing: no order or contract.", "Rien : ni commande ni contrat.";
    erased_kind: "Kind", "Type";
    erased_until: "Kept until", "Conservé jusqu'au";
    erased_ground: "Legal ground", "Fondement";
    erased_by_staff: "Action of the DPO or an administrator", "Action du DPO ou d'un administrateur";
    erased_by_request: "Erasure request", "Demande d'effacement";
    erased_by_policy: "Retention period over", "Durée de conservation écoulée";
    nav_retention: "Retention", "Conservation";
    ret_title: "Retention of data", "Conservation des données";
    ret_help: "Each kind of data is kept for a set period, then erased or deleted. Every day at 03:00 UTC the policies below run on their own; here you see what they would do now, run them at once, and read what each run did.", "Chaque type de donnée est conservé pour une durée fixée, puis effacé ou supprimé. Chaque jour à 03:00 UTC, les règles ci-dessous s'appliquent d'elles-mêmes ; ici, vous voyez ce qu'elles feraient maintenant, les appliquez tout de suite et lisez ce que chaque passage a fait.";
    ret_policies: "Policies in force", "Règles en vigueur";
    ret_policy: "Policy", "Règle";
    ret_what: "What it does", "Ce qu'elle fait";
    ret_period: "After", "Au bout de";
    ret_own_hold: "the end of each record's legal hold", "la fin de l'obligation légale de chaque enregistrement";
    ret_inactive_prospects: "A prospect (no contract, no order, no open request) with no sign of life since: erased.", "Un prospect (ni contrat, ni commande, ni demande en cours) sans signe de vie depuis : effacé.";
    ret_former_customers: "A former customer (every contract ended, no order, no open request) with no sign of life since the end of the relation: erased; their orders and contracts stay under their legal holds, naming no one.", "Un ancien client (tous ses contrats terminés, ni commande ni demande en cours) sans signe de vie depuis la fin de la relation : effacé ; ses commandes et contrats restent sous leur obligation légale, sans le nommer.";
    ret_pending_consents: "A consent given on a form or by email and never confirmed by the person (double opt-in): closed, marked lapsed in their consent history.", "Un consentement donné par formulaire ou email et jamais confirmé par la personne (double opt-in) : clos, marqué expiré dans son historique.";
    ret_tracking_events: "Web visits and email opens and clicks: deleted.", "Visites du site, ouvertures et clics dans les emails : supprimés.";
    ret_ended_holds: "Orders and contracts kept after an erasure, once their legal hold ends: deleted.", "Commandes et contrats conservés après un effacement, une fois leur obligation légale terminée : supprimés.";
    ret_audit_entries: "Entries of the access audit (who read or changed a person's data): deleted, each person's oldest first; the history left still verifies, from a start signed with the checkpoint key.", "Entrées du journal des accès (qui a lu ou modifié les données d'une personne) : supprimées, les plus anciennes de chaque personne d'abord ; l'historique restant se vérifie toujours, à partir d'un début signé par la clé des points de contrôle.";
    ret_closed_requests: "Requests from people (access, erasure…) answered or refused, kept as proof of the answer: deleted with their steps, whoever made them.", "Demandes des personnes (accès, effacement…) répondues ou refusées, gardées comme preuve de la réponse : supprimées avec leurs étapes, quel qu'en soit l'auteur.";
    ret_config_help: "The policies and the holds are set in the configuration file (section [retention]) and checked when Candor starts; the field catalogue's retention periods come from them.", "Les règles et les obligations se règlent dans le fichier de configuration (section [retention]) et sont vérifiées au démarrage de Candor ; les durées de conservation du catalogue des champs en découlent.";
    ret_preview: "Preview", "Aperçu";
    ret_preview_help: "See what each policy would erase or delete now, and who. Nothing changes.", "Voir ce que chaque règle effacerait ou supprimerait maintenant, et qui. Rien n'est modifié.";
    ret_preview_button: "Preview what would go now", "Voir ce qui partirait maintenant";
    ret_would: "Would do now", "Ferait maintenant";
    ret_and_more: "And more:", "Et encore :";
    ret_run: "Run the policies now", "Appliquer les règles maintenant";
    ret_run_help: "As the daily run does: the people shown in the preview are erased through the same erasure as a request (suppression list, legal holds, record without personal data). This cannot be undone.", "Comme le passage quotidien : les personnes de l'aperçu sont effacées par le même effacement qu'une demande (liste d'opposition, obligations légales, trace sans donnée personnelle). C'est définitif.";
    ret_confirm: "I understand: erasures cannot be undone", "Je comprends : les effacements sont définitifs";
    ret_run_button: "Apply the policies", "Appliquer les règles";
    ret_confirm_needed: "Tick the box to confirm: nothing was run.", "Cochez la case pour confirmer : rien n'a été appliqué.";
    ret_done: "The policies ran: their result is first in the list below.", "Les règles ont été appliquées : le résultat est en tête de la liste ci-dessous.";
    ret_runs: "Last runs", "Derniers passages";
    ret_no_run: "No run yet: the first is tonight at 03:00 UTC.", "Aucun passage pour l'instant : le premier a lieu cette nuit à 03:00 UTC.";
    ret_started: "Started", "Début";
    ret_by: "By", "Par";
    ret_kind: "Kind", "Type";
    ret_result: "Result", "Résultat";
    ret_nothing: "Nothing was due.", "Rien n'était à traiter.";
    ret_kind_preview: "Dry run", "Essai à blanc";
    ret_kind_applied: "Applied", "Appliqué";
    ret_by_job: "Daily run", "Passage quotidien";
    ret_by_cli: "Command line", "Ligne de commande";
    ret_by_api: "API", "API";
    nav_register: "Register", "Registre";
    reg_title: "Record of processing activities", "Registre des activités de traitement";
    reg_help: "Generated from the field catalogue, its purposes and the retention policies each time it is shown (GDPR Art. 30): it says what Candor does, no more. Transfers and security measures are the organisation's own declaration (configuration, section [register]).", "Généré à partir du catalogue des champs, de ses finalités et des règles de conservation à chaque affichage (RGPD art. 30) : il dit ce que fait Candor, sans plus. Les transferts et mesures de sécurité sont la déclaration de l'organisme (configuration, section [register]).";
    reg_controller: "Controller", "Responsable du traitement";
    reg_dpo: "Data protection officer", "Délégué à la protection des données";
    reg_purpose: "Purpose", "Finalité";
    reg_bases: "Lawful bases", "Bases légales";
    reg_subjects: "People concerned", "Personnes concernées";
    reg_data: "Categories of data", "Catégories de données";
    reg_recipients: "Recipients (who may see the data, and why)", "Destinataires (qui peut voir les données, et pourquoi)";
    reg_transfers: "Transfers outside the EU", "Transferts hors de l'UE";
    reg_retention: "Retention", "Durées de conservation";
    reg_security: "Security measures", "Mesures de sécurité";
    reg_none: "None", "Aucune";
    reg_processors: "Processors and external recipients", "Sous-traitants et destinataires externes";
    reg_none_declared: "None declared (configuration, section [register], processors)", "Aucun déclaré (configuration, section [register], processors)";
    reg_csv: "Download as CSV", "Télécharger en CSV";
    reg_json: "Download as JSON", "Télécharger en JSON";
    nav_breaches: "Breaches", "Violations";
    br_title: "Data breach register", "Registre des violations de données";
    br_one: "Data breach", "Violation de données";
    br_help: "Every personal data breach is recorded here, notified or not (GDPR Art. 33(5)). The authority (the CNIL) is notified within 72 hours of the moment the organisation became aware of it; the DPO is reminded by email at 24, 48 and 66 hours.", "Toute violation de données personnelles est consignée ici, notifiée ou non (RGPD art. 33(5)). La CNIL est notifiée dans les 72 heures suivant le moment où l'organisme en a pris connaissance ; le DPO reçoit un rappel par email à 24, 48 et 66 heures.";
    br_none: "No breach recorded.", "Aucune violation consignée.";
    br_new: "Record a breach", "Consigner une violation";
    br_new_help: "Record it as soon as you know of it, even incomplete: the 72 hours run from the discovery. The assessment and measures can be completed on its page.", "Consignez-la dès que vous en avez connaissance, même incomplète : les 72 heures courent depuis la découverte. L'évaluation et les mesures se complètent sur sa page.";
    br_record: "Record the breach", "Consigner la violation";
    br_discovered: "Discovered on", "Découverte le";
    br_occurred_from: "Started on", "Début de la violation";
    br_occurred_until: "Ended on", "Fin de la violation";
    br_natures: "Nature", "Nature";
    br_confidentiality: "Confidentiality: data disclosed or reached by someone who should not have it", "Confidentialité : données divulguées ou accessibles à qui ne devait pas les avoir";
    br_integrity: "Integrity: data altered", "Intégrité : données modifiées";
    br_availability: "Availability: data lost or unreachable", "Disponibilité : données perdues ou inaccessibles";
    br_description: "What happened", "Ce qui s'est passé";
    br_data: "Categories of data", "Catégories de données";
    cat_identifying: "Identifying (name, contact details…)", "Identifiante (nom, coordonnées…)";
    cat_transactional: "Transactional (orders, contracts…)", "Transactionnelle (commandes, contrats…)";
    cat_technical: "Technical (dates, measures…)", "Technique (dates, mesures…)";
    cat_special: "Special category (health, religion…: GDPR Art. 9)", "Catégorie particulière (santé, religion… : RGPD art. 9)";
    br_cat_identifying: "Identity and contact details", "Identification et coordonnées";
    br_cat_transactional: "Commercial history (orders, contracts)", "Vie commerciale (commandes, contrats)";
    br_cat_technical: "Technical data (visits, email reads)", "Données techniques (visites, lectures d'emails)";
    br_fields: "Fields of the catalogue, if known (comma-separated)", "Champs du catalogue, si connus (séparés par des virgules)";
    br_subjects: "People concerned (comma-separated: customers, prospects…)", "Personnes concernées (séparées par des virgules : clients, prospects…)";
    br_subjects_approx: "Approximate number of people", "Nombre approximatif de personnes";
    br_records_approx: "Approximate number of records", "Nombre approximatif d'enregistrements";
    br_consequences: "Likely consequences", "Conséquences probables";
    br_measures_taken: "Measures taken", "Mesures prises";
    br_measures_proposed: "Measures proposed", "Mesures envisagées";
    br_risk: "Risk to people", "Risque pour les personnes";
    br_unassessed: "Not assessed yet", "Pas encore évalué";
    br_risk_none: "Unlikely to result in a risk (not notified)", "Risque improbable (non notifiée)";
    br_risk_risk: "A risk (the CNIL is notified)", "Un risque (notification à la CNIL)";
    br_risk_high: "A high risk (the CNIL and the people are told)", "Un risque élevé (CNIL et personnes informées)";
    br_risk_reasoning: "Reasoning of the assessment", "Motifs de l'évaluation";
    br_no_notification: "Why the CNIL is not notified (when the risk is unlikely)", "Pourquoi la CNIL n'est pas notifiée (si le risque est improbable)";
    br_clock: "72 hours", "72 heures";
    br_deadline: "deadline", "échéance";
    br_notified: "Notified to the CNIL in time", "Notifiée à la CNIL dans les délais";
    br_notified_late: "Notified to the CNIL late, with the reasons", "Notifiée à la CNIL en retard, avec les raisons";
    br_not_required: "Not notified: risk unlikely, reason recorded", "Non notifiée : risque improbable, raison consignée";
    br_facts: "The facts", "Les faits";
    br_assessment: "Assessment and measures", "Évaluation et mesures";
    br_authority: "Notification to the CNIL", "Notification à la CNIL";
    br_authority_help: "What the CNIL's online form asks (Art. 33(3)), to copy item by item; then record the notification below. A notification can be completed later (Art. 33(4)).", "Ce que demande le formulaire en ligne de la CNIL (art. 33(3)), à reporter rubrique par rubrique ; puis enregistrez la notification ci-dessous. Elle peut être complétée ensuite (art. 33(4)).";
    br_notifications: "Notifications made", "Notifications faites";
    br_notified_at: "Notified on (now if empty)", "Notifiée le (maintenant si vide)";
    br_reference: "The CNIL's reference", "Référence de la CNIL";
    br_late_reason: "Reasons for the delay", "Raisons du retard";
    br_required: "required after 72 hours", "obligatoire après 72 heures";
    br_notify: "Record the notification", "Enregistrer la notification";
    br_complement: "Record a complement", "Enregistrer un complément";
    br_phase: "Phase", "Étape";
    br_phase_initial: "initial notification", "notification initiale";
    br_phase_complement: "complement", "complément";
    br_history: "History", "Historique";
    br_when: "When", "Quand";
    br_what: "What", "Quoi";
    br_h_recorded: "Recorded", "Consignée";
    br_h_notified: "Notification recorded", "Notification enregistrée";
    br_h_changed: "Changed:", "Modifiée :";
    br_unknown: "Not known", "Non connu";
    bn_title: "Notification of a personal data breach to the CNIL", "Notification d'une violation de données personnelles à la CNIL";
    bn_help: "The items of GDPR Art. 33(3), in the order of the CNIL's online form, to copy section by section. Print it for the breach's file.", "Les éléments de l'article 33(3) du RGPD, dans l'ordre du formulaire en ligne de la CNIL, à reporter rubrique par rubrique. Imprimez-la pour le dossier de la violation.";
    bn_other_lang: "Version française", "English version";
    bn_back: "Back to the breach", "Retour à la violation";
    bn_s_controller: "The organisation and its contact", "L'organisme et son contact";
    bn_s_notification: "The notification", "La notification";
    bn_s_timeline: "Timeline", "Chronologie";
    bn_s_nature: "Nature of the breach", "Nature de la violation";
    bn_s_data: "Data concerned", "Données concernées";
    bn_s_people: "People concerned", "Personnes concernées";
    bn_s_consequences: "Likely consequences", "Conséquences probables";
    bn_s_measures: "Measures", "Mesures";
    bn_s_information: "Informing the people (Art. 34)", "Information des personnes (art. 34)";
    bn_initial_to_make: "initial notification (not yet made)", "notification initiale (pas encore faite)";
    bn_people_high: "High risk: the people concerned are told. Told so far:", "Risque élevé : les personnes concernées sont informées. Informées à ce jour :";
    bn_people_not_high: "Not assessed as a high risk: the people are not told individually (Art. 34(1)).", "Non évaluée à risque élevé : les personnes ne sont pas informées individuellement (art. 34(1)).";
    nav_compliance: "Compliance", "Conformité";
    co_title: "Compliance dashboard", "Tableau de bord de conformité";
    co_help: "What the GDPR asks that Candor watches, each with the list behind it and the article it breaks when the count is not zero. The fines are the maxima of GDPR Art. 83 for the organisation's turnover: what a supervisory authority may impose, not a forecast.", "Ce que le RGPD exige et que Candor surveille, chaque point avec la liste derrière son compte et l'article enfreint quand il n'est pas nul. Les amendes sont les plafonds de l'article 83 du RGPD pour le chiffre d'affaires de l'organisme : ce qu'une autorité de contrôle peut infliger, pas une prévision.";
    co_exposure: "Exposure", "Exposition";
    co_exposed: "Maximum fine for the obligations missed today:", "Amende maximale pour les obligations manquées aujourd'hui :";
    co_not_exposed: "No obligation missed today.", "Aucune obligation manquée aujourd'hui.";
    co_turnover: "Annual worldwide turnover", "Chiffre d'affaires annuel mondial";
    co_no_turnover: "not configured (fixed amounts)", "non renseigné (montants fixes)";
    co_what_if: "typed here, not saved", "saisi ici, non enregistré";
    co_fine_upper: "Art. 83(5): principles, lawful basis, consent, people's rights (4% or €20M)", "Art. 83(5) : principes, base légale, consentement, droits des personnes (4 % ou 20 M€)";
    co_fine_lower: "Art. 83(4): privacy by design, records, security, breaches (2% or €10M)", "Art. 83(4) : protection dès la conception, registre, sécurité, violations (2 % ou 10 M€)";
    co_try_turnover: "Compute for a turnover (€)", "Calculer pour un chiffre d'affaires (€)";
    co_compute: "Compute", "Calculer";
    co_items: "Obligations", "Obligations";
    co_obligation: "Obligation", "Obligation";
    co_count: "Count", "Nombre";
    co_article: "Article", "Article";
    co_tier: "Fine tier", "Plafond";
    co_item_exposure: "Maximum fine", "Amende maximale";
    co_no_basis: "Contacts with no lawful basis (no consent in force, no running contract, no open request)", "Contacts sans base légale (aucun consentement en vigueur, aucun contrat en cours, aucune demande ouverte)";
    co_pending: "B2C consents awaiting confirmation for over 7 days", "Consentements B2C en attente de confirmation depuis plus de 7 jours";
    co_overdue: "Requests past their deadline", "Demandes en retard";
    co_due_soon: "Requests due within 7 days", "Demandes à échéance sous 7 jours";
    co_clocks: "Breaches whose 72 hours are running", "Violations dont les 72 heures courent";
    co_breaches_late: "Breaches not notified within 72 hours", "Violations non notifiées sous 72 heures";
    co_unjustified: "Catalogue fields without a purpose or a justification", "Champs du catalogue sans finalité ou sans justification";
    co_retention_late: "Retention not run for over a day, or failed", "Conservation non appliquée depuis plus d'un jour, ou en échec";
    co_unverified: "Chains not verified for over a day, or broken", "Chaînes non vérifiées depuis plus d'un jour, ou rompues";
    co_checks: "Checks", "Contrôles";
    co_last_verify: "Last verification of the audit and consent chains", "Dernière vérification des chaînes d'audit et de consentement";
    co_last_retention: "Last retention run", "Dernière application de la conservation";
    co_checks_help: "The server verifies the chains every day at 04:00 UTC and applies retention at 03:00 UTC; `candor verify` does it at once.", "Le serveur vérifie les chaînes chaque jour à 4 h UTC et applique la conservation à 3 h UTC ; `candor verify` le fait sur-le-champ.";
    co_never: "never", "jamais";
    co_entries: "entries", "entrées";
    co_intact: "intact", "intactes";
    co_broken: "breaks found", "ruptures trouvées";
    co_back: "Back to the dashboard", "Retour au tableau de bord";
    co_people: "people", "personnes";
    co_next: "Next page", "Page suivante";
    br_people: "The people concerned", "Les personnes concernées";
    br_people_help: "Candor finds the contacts the breach reached: those holding data of its categories, chosen by a period and, if needed, a campaign segment. When the risk is high, each of them with an email address is told in their language (Art. 34), once, whatever their marketing choices.", "Candor retrouve les contacts touchés : ceux qui détiennent des données des catégories de la violation, choisis par une période et, au besoin, un segment de campagne. Si le risque est élevé, chacun d'eux ayant une adresse email est informé dans sa langue (art. 34), une seule fois, quels que soient ses choix marketing.";
    br_scope_rule: "Which contacts", "Quels contacts";
    br_rule_present: "Present in the database at the end of the period", "Présents dans la base à la fin de la période";
    br_rule_created: "Created during the period", "Créés pendant la période";
    br_rule_changed: "Created or changed during the period", "Créés ou modifiés pendant la période";
    br_scope_from: "Period from (UTC)", "Période du (UTC)";
    br_scope_until: "to (UTC, open if empty)", "au (UTC, ouverte si vide)";
    br_scope_segment: "Segment", "Segment";
    br_scope_all: "All contacts", "Tous les contacts";
    br_message_fr: "Message to the people, in French: likely consequences, measures taken, what they can do", "Message aux personnes, en français : conséquences probables, mesures prises, ce qu'elles peuvent faire";
    br_message_en: "Message to the people, in English", "Message aux personnes, en anglais";
    br_message_help: "Candor writes the rest itself in each person's language: what happened, the data concerned, the DPO's contact and their rights.", "Candor rédige le reste dans la langue de chaque personne : ce qui s'est passé, les données concernées, le contact du DPO et leurs droits.";
    br_save_scope: "Save the scope and the message", "Enregistrer le périmètre et le message";
    br_affected: "people in the scope", "personnes dans le périmètre";
    br_reachable: "reachable by email", "joignables par email";
    br_told: "already told", "déjà informées";
    br_tell: "Tell the people", "Informer les personnes";
    br_tell_confirm: "I have read the message: send it to each person not yet told", "J'ai relu le message : l'envoyer à chaque personne pas encore informée";
    br_tell_high_only: "The people are told only of a breach assessed as a high risk (Art. 34).", "Les personnes ne sont informées que d'une violation évaluée à risque élevé (art. 34).";
    br_tell_started: "The notices are being sent: each person is told once.", "Les notifications partent : chaque personne n'est informée qu'une fois.";
    br_h_subjects: "People being told", "Information des personnes lancée";
    br_confirm_needed: "Tick the box to confirm", "Cochez la case pour confirmer";
    br_changed_meanwhile: "Someone changed this breach while you were editing it: nothing was saved. Read it again below and redo your change.", "Quelqu'un a modifié cette violation pendant votre saisie : rien n'a été enregistré. Relisez-la ci-dessous et refaites votre modification.";
    hold_order: "Order", "Commande";
    hold_contract: "Contract", "Contrat";
    rq_rectify_hint: "Change the fields the person asked to correct; each value is checked as everywhere, the person is told by email and the request is answered.", "Modifiez les champs que la personne demande de corriger ; chaque valeur est vérifiée comme partout, la personne est prévenue par email et la demande est close.";
    rq_signature: "Signature", "Signature";
    rq_signature_help: "Ed25519 signature over this receipt in canonical JSON (RFC 8785). Anyone can check it offline with `candor receipt verify` and the public key published at /api/v1/receipts/public-key.", "Signature Ed25519 de cet accusé en JSON canonique (RFC 8785). Chacun peut la vérifier hors ligne avec `candor receipt verify` et la clé publique publiée à /api/v1/receipts/public-key.";
    rq_public_key: "Public key (base64)", "Clé publique (base64)";
    rq_print: "Print this page with your browser (Ctrl+P): the menu is left out", "Imprimez cette page avec votre navigateur (Ctrl+P) : le menu n'est pas imprimé";
    rq_back: "Back to the request", "Retour à la demande";
    rq_bundle_help: "The person's data in one zip: a readable report, JSON and CSV, a vCard and a signed manifest. Not filtered by your role: it is theirs.", "Les données de la personne en un zip : un rapport lisible, JSON et CSV, une vCard et un manifeste signé. Non filtré par votre rôle : ce sont les siennes.";
    rq_bundle: "Download the bundle", "Télécharger le dossier";
    rq_delivery: "Deliver the answer", "Remettre la réponse";
    rq_by_email: "By email: a download link to the address on file", "Par e-mail : un lien de téléchargement à l'adresse connue";
    rq_by_link: "By a download link given to the person", "Par un lien de téléchargement remis à la personne";
    rq_by_drive: "Written to a removable drive", "Sur une clé USB";
    rq_by_post: "Printed report sent by post", "Rapport imprimé envoyé par courrier";
    rq_drive_path: "Drive directory (removable drive only)", "Dossier de la clé (clé USB seulement)";
    rq_deliver: "Deliver and close", "Remettre et clore";
    rq_link_given: "Delivered. The download link, valid 7 days, for the person only: {link}", "Remis. Le lien de téléchargement, valable 7 jours, pour la personne seule : {link}";
    rq_file_written: "Delivered. The bundle is written to {file}", "Remis. Le dossier est écrit dans {file}";
    not_found: "Not found.", "Introuvable.";
    error_title: "Something went wrong", "Un problème est survenu";
    not_found_title: "Page not found", "Page introuvable";
    forbidden_title: "Not allowed", "Action non permise";
    not_done_title: "Nothing was done", "Rien n'a été fait";
    not_editable: "This can no longer be changed (it was sent, or is being sent): nothing was changed.", "Ceci ne peut plus être modifié (envoyé, ou en cours d'envoi) : rien n'a changé.";
    still_used: "This is still used elsewhere: nothing was deleted.", "Ceci est encore utilisé ailleurs : rien n'a été supprimé.";
    already_exists: "Another record already has this value: nothing was saved.", "Une autre fiche a déjà cette valeur : rien n'a été enregistré.";
    imports: "Imports", "Imports";
    imp_title: "Import contacts", "Importer des contacts";
    imp_intro: "Upload a CSV export of the tool you are leaving (HubSpot, Salesforce, Mailchimp, Brevo, EspoCRM, Odoo, Pipedrive, Zoho CRM…) or a file of your own. Candor reads it, shows how it understands each column and what the import would do, and writes nothing until you start it.", "Déposez l'export CSV de l'outil que vous quittez (HubSpot, Salesforce, Mailchimp, Brevo, EspoCRM, Odoo, Pipedrive, Zoho CRM…) ou un fichier à vous. Candor le lit, montre comment il comprend chaque colonne et ce que l'import ferait, et n'écrit rien avant que vous le lanciez.";
    imp_file: "CSV file", "Fichier CSV";
    imp_preset: "Exported from", "Exporté depuis";
    imp_preset_auto: "Recognise it from its columns", "Le reconnaître à ses colonnes";
    imp_kind: "Rows without a kind column are", "Les lignes sans colonne de type sont";
    imp_kind_file: "as the file says", "selon le fichier";
    imp_kind_b2b: "professionals (B2B)", "des professionnels (B2B)";
    imp_kind_b2c: "private persons (B2C)", "des particuliers (B2C)";
    imp_on_duplicate: "When an email is already a contact's", "Quand l'adresse est déjà celle d'un contact";
    imp_dup_merge: "complete the existing contact", "compléter le contact existant";
    imp_dup_skip: "leave it alone and list the row", "le laisser tel quel et signaler la ligne";
    imp_purposes: "Purposes of the consents the file proves (when it has no purposes column)", "Finalités des consentements que le fichier prouve (s'il n'a pas de colonne de finalités)";
    imp_read: "Read the file", "Lire le fichier";
    imp_recent: "Recent imports", "Imports récents";
    imp_none: "No import yet.", "Aucun import pour l'instant.";
    imp_file_name: "File", "Fichier";
    imp_started: "Started", "Commencé";
    imp_finished: "Finished", "Terminé";
    imp_not_finished: "not finished", "non terminé";
    imp_upload_missing: "Choose a CSV file to import.", "Choisissez un fichier CSV à importer.";
    imp_upload_broken: "The file did not arrive whole: send it again.", "Le fichier n'est pas arrivé entier : envoyez-le à nouveau.";
    imp_read_as: "Read as", "Lu comme";
    imp_preset_used: "Columns named as by", "Colonnes nommées comme par";
    imp_cannot: "This file cannot be imported as it is", "Ce fichier ne peut pas être importé tel quel";
    import_preset_undetected: "No tool's export is recognised from this header: choose the tool it comes from, or say below what each column holds.", "Aucun export d'outil n'est reconnu à cet en-tête : choisissez l'outil d'où il vient, ou indiquez ci-dessous ce que contient chaque colonne.";
    import_preset_ambiguous: "This header looks like the export of more than one tool: choose which one.", "Cet en-tête ressemble à l'export de plusieurs outils : choisissez lequel.";
    import_choice_columns: "The marked columns may say that people unsubscribed or consented, and nothing reads them yet: say what each one holds, or leave it out knowingly.", "Les colonnes signalées peuvent indiquer que des personnes se sont désinscrites ou ont consenti, et rien ne les lit encore : indiquez ce que contient chacune, ou choisissez de l'ignorer en connaissance de cause.";
    import_no_last_name: "No column gives the last name: choose the column that does (last_name), or the one with the whole name (full_name).", "Aucune colonne ne donne le nom : choisissez celle qui le donne (last_name), ou celle du nom complet (full_name).";
    import_no_kind: "No column says whether the rows are professionals or private persons: choose it when you upload the file, or map a column to kind.", "Aucune colonne ne dit si les lignes sont des professionnels ou des particuliers : choisissez-le en déposant le fichier, ou associez une colonne à kind.";
    imp_columns: "Columns", "Colonnes";
    imp_column: "Column of the file", "Colonne du fichier";
    imp_fills: "Goes to", "Va dans";
    import_as_read: "as read:", "comme lu :";
    import_not_read: "(not read)", "(non lue)";
    import_left_out_knowingly: "(left out knowingly)", "(ignorée volontairement)";
    import_leave_out: "leave out knowingly", "ignorer volontairement";
    imp_needs_decision: "may hold a person's choice: decide", "peut contenir le choix d'une personne : à décider";
    imp_apply: "Apply these columns", "Appliquer ces colonnes";
    imp_rows: "First rows, as they will be stored", "Premières lignes, telles qu'elles seront enregistrées";
    imp_line: "Line", "Ligne";
    imp_values: "Values", "Valeurs";
    imp_consents: "Consent events", "Événements de consentement";
    imp_refused: "Refused because", "Refusée car";
    imp_summary: "What the import will do (tried on the whole file, nothing written)", "Ce que l'import fera (essayé sur tout le fichier, rien n'est écrit)";
    imp_created: "Contacts created", "Contacts créés";
    imp_merged: "Existing contacts completed", "Contacts existants complétés";
    imp_skipped: "Duplicates left alone", "Doublons laissés tels quels";
    imp_rejected: "Rows refused", "Lignes refusées";
    imp_grants: "Consents recorded", "Consentements enregistrés";
    imp_confirmations: "Double opt-ins confirmed in the earlier tool", "Doubles opt-in confirmés dans l'ancien outil";
    imp_withdrawals: "Opt-outs recorded", "Désinscriptions enregistrées";
    imp_undeliverable: "Addresses that bounce (never emailed)", "Adresses en échec (jamais écrites)";
    imp_names_split: "Whole names split into first and last name", "Noms complets séparés en prénom et nom";
    imp_requests: "People who will be emailed (consent requests and confirmations)", "Personnes à qui un e-mail partira (demandes de consentement et confirmations)";
    imp_requests_held: "New people left unasked for now (sent later from this page)", "Nouvelles personnes pas encore sollicitées (demande envoyée plus tard depuis cette page)";
    imp_hold: "Do not email consent requests now: I will send them later from this page", "Ne pas envoyer les demandes de consentement maintenant : je les enverrai plus tard depuis cette page";
    imp_waiting_title: "People never asked for their consent", "Personnes jamais sollicitées pour leur consentement";
    imp_waiting: "contacts with an email were never asked for their consent. Each is asked only where the communication rules allow it now: not at an address that bounces, nor after a global opt-out or a recent refusal.", "contacts avec une adresse n'ont jamais été sollicités pour leur consentement. Chacun ne l'est que si les règles de communication le permettent maintenant : pas à une adresse en échec, ni après une opposition globale ou un refus récent.";
    imp_send_requests: "Email them the consent request", "Leur envoyer la demande de consentement";
    imp_requests_sent: "consent requests queued;", "demandes de consentement mises en file ;";
    imp_requests_not_sent: "not sent (the communication rules say no).", "non envoyées (les règles de communication s'y opposent).";
    imp_first_rejects: "First refused rows", "Premières lignes refusées";
    imp_column_short: "Column", "Colonne";
    imp_start: "Start the import", "Lancer l'import";
    imp_progress: "Progress", "Avancement";
    percent: "%", " %";
    imp_rows_read: "Rows read:", "Lignes lues :";
    import_running: "Import running: this page follows it.", "Import en cours : cette page le suit.";
    import_done: "Import finished.", "Import terminé.";
    import_failed: "The import stopped on an error; what was written stays, and resuming goes on from there.", "L'import s'est arrêté sur une erreur ; ce qui est écrit le reste, et la reprise continue à partir de là.";
    import_stopped: "This import is not running (the server may have restarted): resume it to go on where it stopped.", "Cet import ne tourne pas (le serveur a pu redémarrer) : reprenez-le pour continuer là où il s'est arrêté.";
    imp_resume: "Resume the import", "Reprendre l'import";
    imp_download_rejects: "Download the refused rows (CSV)", "Télécharger les lignes refusées (CSV)";
    imp_back: "Back to imports", "Retour aux imports";
    imp_delete: "Delete the uploaded file and its refused rows", "Supprimer le fichier déposé et ses lignes refusées";
    imp_delete_help: "The contacts imported stay; the job's figures stay in the list.", "Les contacts importés restent ; les chiffres de l'import restent dans la liste.";
    imp_still_running: "This import is running: wait for its end.", "Cet import est en cours : attendez qu'il se termine.";
    imp_another: "Change the columns and read again", "Modifier les colonnes et relire";
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
    new_company: "New company", "Nouvelle entreprise";
    contacts_found: "contact(s) found", "contact(s) trouvé(s)";
    kind_b2b: "Business (B2B)", "Professionnel (B2B)";
    kind_b2c: "Private person (B2C)", "Particulier (B2C)";
    lang_fr: "French", "Français";
    lang_en: "English", "Anglais";
    opt_out_title: "Nothing more from us", "Ne plus rien lui envoyer";
    opt_out_help: "Records at once, on every channel, that the person wants no message from us any more (a global opt-out): only what the law requires, security notices and notices about a running contract still go.", "Enregistre d'un coup, sur tous les canaux, que la personne ne veut plus rien recevoir de nous (opposition globale) : seuls partent encore ce que la loi impose, les alertes de sécurité et les informations sur un contrat en cours.";
    opt_out_button: "Record: nothing more from us", "Enregistrer : plus rien de notre part";
    opted_out: "Recorded: nothing more goes to this person but what the law or their contract requires.", "Enregistré : plus rien ne part vers cette personne, hormis ce qu'imposent la loi ou son contrat.";
    needs_consent: "needs consent to", "consentement requis :";
    pick_segment: "pick a segment", "choisissez un segment";
    sending: "Being sent", "En cours d'envoi";
    edit_segment: "Edit the segment", "Modifier le segment";
    condition: "Condition", "Condition";
    op_in: "is one of (comma-separated)", "est l'un de (séparés par des virgules)";
    seg_all_hold: "A contact is in the segment when every condition holds.", "Un contact est dans le segment quand toutes les conditions sont remplies.";
    seg_pick_field: "Choose what this condition checks.", "Choisissez ce que vérifie cette condition.";
    seg_add: "Add a condition", "Ajouter une condition";
    seg_remove: "Remove this condition", "Retirer cette condition";
    seg_consent: "Consent by email to", "Consentement par e-mail pour";
    seg_state: "State", "État";
    seg_contract: "Has a running contract", "A un contrat en cours";
    seg_no_contract: "Has no running contract", "N'a pas de contrat en cours";
    seg_started: "started", "commencé";
    seg_started_between: "Contract started (leave empty: any time)", "Contrat commencé (vide : à n'importe quelle date)";
    seg_conditions: "Who it holds", "Qui il contient";
    seg_everyone: "Every contact (no condition).", "Tous les contacts (aucune condition).";
    seg_members: "Contacts in it now", "Contacts qu'il contient maintenant";
    seg_used_by: "Campaigns using it", "Campagnes qui l'utilisent";
    seg_kept: "A segment a campaign uses is kept: the campaign's audience and report refer to it.", "Un segment utilisé par une campagne est conservé : l'audience et le rapport de la campagne s'y rapportent.";
    seg_delete: "Delete this segment", "Supprimer ce segment";
    seg_deleted: "The segment is deleted.", "Le segment est supprimé.";
    seg_in_use: "This segment is not deleted: the campaigns listed below use it.", "Ce segment n'est pas supprimé : les campagnes ci-dessous l'utilisent.";
    seg_sending: "A campaign of this segment is being sent: its audience must not change until it is done. Nothing was saved.", "Une campagne de ce segment est en cours d'envoi : son audience ne doit pas changer avant la fin. Rien n'a été enregistré.";
    range_from: "from", "du";
    range_until: "to", "au";
    range_since: "since", "depuis le";
    range_up_to: "up to", "jusqu'au";
    camp_not_editable: "This campaign was sent or is being sent: it can no longer be changed. Nothing was saved.", "Cette campagne est envoyée ou en cours d'envoi : elle ne peut plus être modifiée. Rien n'a été enregistré.";
    camp_sent_to: "Sent: emails queued", "Envoyée : e-mails mis en file";
    camp_sending_now: "Sending: emails queued so far", "Envoi en cours : e-mails mis en file";
    camp_retry: "The sending stopped on an error and resumes at", "L'envoi s'est arrêté sur une erreur et reprend à";
    camp_attempts: "failed attempts", "tentatives échouées";
    camp_tested: "A test was sent, in each language written, to your address", "Un essai a été envoyé, dans chaque langue rédigée, à votre adresse";
    camp_started: "The sending has started: this page follows it.", "L'envoi a commencé : cette page le suit.";
    camp_missing_read: "of the allowed recipients read ", "des destinataires autorisés lisent ";
    camp_missing_write: ", and the campaign has no text in it: write it before sending.", ", et la campagne n'a pas de texte dans cette langue : rédigez-le avant d'envoyer.";
    camp_preview: "Preview, as recipients get it", "Aperçu, tel que les destinataires le reçoivent";
    camp_preview_help: "Each recipient's unsubscribe link is their own; people who agreed to be measured also get the open and click tracking.", "Le lien de désinscription de chaque destinataire lui est propre ; les personnes qui ont accepté la mesure d'audience reçoivent aussi le suivi des ouvertures et des clics.";
    camp_as_html: "Open the HTML version", "Ouvrir la version HTML";
    camp_test: "Send me a test", "M'envoyer un essai";
    camp_test_help: "One email per language written, to your own address, its subject marked as a test. No contact gets anything.", "Un e-mail par langue rédigée, à votre propre adresse, son objet marqué comme essai. Aucun contact ne reçoit rien.";
    camp_no_text: "No text yet in this language.", "Pas encore de texte dans cette langue.";
    camp_cannot_send: "The campaign cannot be sent yet:", "La campagne ne peut pas encore être envoyée :";
    camp_segment_link: "Open the segment", "Ouvrir le segment";
    camp_no_segment: "There is no segment yet: create one first, then the campaign.", "Il n'existe encore aucun segment : créez-en un d'abord, puis la campagne.";
    camp_edit: "Edit the campaign", "Modifier la campagne";
    delete_company: "Delete this company", "Supprimer cette entreprise";
    company_deleted: "The company is deleted.", "L'entreprise est supprimée.";
    company_in_use: "This company is not deleted: the contacts below belong to it. Move them to another company, or erase them, first.", "Cette entreprise n'est pas supprimée : les contacts ci-dessous lui appartiennent. Rattachez-les d'abord à une autre entreprise, ou effacez-les.";
}

impl Texts {
    /// A name quoted as the reader's language quotes: « … » or "…".
    pub fn quoted(&self, s: &str) -> String {
        if self.lang == "fr" {
            format!("« {s} »")
        } else {
            format!("\"{s}\"")
        }
    }

    /// The reader's half of a catalogue text.
    pub fn pick<'a>(&self, text: &'a candor_domain::catalogue::Text) -> &'a str {
        if self.lang == "en" {
            &text.en
        } else {
            &text.fr
        }
    }
}

impl Texts {
    /// The colon as the reader's language writes it: " : " or ": ".
    pub fn colon(&self) -> &'static str {
        if self.lang == "fr" {
            " : "
        } else {
            ": "
        }
    }

    /// The consent states a segment can ask for, as (value, words).
    pub fn consent_states(&self) -> Vec<(&'static str, &'static str)> {
        use candor_domain::consent::Status as S;
        [
            S::Effective,
            S::Pending,
            S::Withdrawn,
            S::Refused,
            S::NeverAsked,
        ]
        .into_iter()
        .map(|s| (s.as_str(), super::contacts::status_label(self, s)))
        .collect()
    }
}

/// A day as the reader writes it ("31/12/2025", "31 Dec 2025") from the ISO form
/// (YYYY-MM-DD, or the start of an RFC 3339 instant); anything else as it is.
pub fn day(t: &Texts, iso: &str) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    let Ok(d) = time::Date::parse(iso.get(..10).unwrap_or(iso), &f) else {
        return iso.to_owned();
    };
    day_of(t, d)
}

/// A date as the reader writes it.
pub fn day_of(t: &Texts, d: time::Date) -> String {
    if t.lang == "fr" {
        format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
    } else {
        let m = &d.month().to_string()[..3];
        format!("{} {m} {}", d.day(), d.year())
    }
}

/// An instant (RFC 3339) as the reader writes it, in the organisation's time zone
/// (Paris): "31/12/2025 à 14:05", "31 Dec 2025, 14:05".
pub fn moment(t: &Texts, rfc3339: &str) -> String {
    let Ok(at) =
        time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
    else {
        return rfc3339.to_owned();
    };
    let local = at.to_offset(paris_offset(at));
    let hm = format!("{:02}:{:02}", local.hour(), local.minute());
    if t.lang == "fr" {
        format!("{} à {hm}", day_of(t, local.date()))
    } else {
        format!("{}, {hm}", day_of(t, local.date()))
    }
}

/// Paris's offset from UTC at `at`: +2 from the last Sunday of March at 01:00 UTC to
/// the last Sunday of October at 01:00 UTC, +1 otherwise (EU summer time).
fn paris_offset(at: time::OffsetDateTime) -> time::UtcOffset {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let last_sunday = |month: time::Month| {
        let mut d =
            time::Date::from_calendar_date(utc.year(), month, 31).unwrap_or(time::Date::MIN);
        while d.weekday() != time::Weekday::Sunday {
            d = d.previous_day().unwrap_or(d);
        }
        d.with_hms(1, 0, 0).map(|d| d.assume_utc()).unwrap_or(at)
    };
    let summer = utc >= last_sunday(time::Month::March) && utc < last_sunday(time::Month::October);
    time::UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).unwrap_or(time::UtcOffset::UTC)
}

pub fn texts(locale: &str) -> &'static Texts {
    match Locale::parse("locale", locale) {
        Ok(Locale::En) => &EN,
        _ => &FR,
    }
}

/// A whole number with its thousands grouped as the reader writes them: "1 234 567"
/// (narrow no-break spaces) in French, "1,234,567" in English.
pub fn grouped(t: &Texts, n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = if t.lang == "fr" { "\u{202f}" } else { "," };
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(d);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A field as people name it on the pages: "Texte du message (anglais)" for
/// `content.en.body`. Catalogue fields keep their catalogue labels where the page
/// shows them; a path not named here stays as it is.
pub fn field_label(t: &Texts, field: &str) -> String {
    let fr = t.lang == "fr";
    let lang = |code: &str| match (code, fr) {
        ("fr", true) => "français",
        ("en", true) => "anglais",
        ("fr", false) => "French",
        ("en", false) => "English",
        _ => "",
    };
    let parts: Vec<&str> = field.split('.').collect();
    let word = |f: &str, e: &str| if fr { f.to_owned() } else { e.to_owned() };
    match parts.as_slice() {
        ["content", l, "body"] => {
            format!("{} ({})", word("Texte du message", "Message text"), lang(l))
        }
        ["content", l, "subject"] => format!("{} ({})", word("Objet", "Subject"), lang(l)),
        ["content", l] => format!("{} ({})", word("Contenu", "Content"), lang(l)),
        ["password"] => word("Mot de passe", "Password"),
        ["contact"] | ["contact_id"] => word("Contact", "Contact"),
        ["email"] => word("Adresse e-mail", "Email"),
        ["name"] => word("Nom", "Name"),
        ["q"] => word("Recherche", "Search"),
        ["segment_id"] | ["segment"] => word("Segment", "Segment"),
        ["category"] => word("Catégorie", "Category"),
        ["channel"] => word("Canal", "Channel"),
        ["kind"] => word("Type", "Kind"),
        ["purpose"] => word("Finalité", "Purpose"),
        ["source"] => word("Origine", "Source"),
        ["role"] => word("Rôle", "Role"),
        ["locale"] => word("Langue", "Language"),
        ["received_on"] => word("Date de réception", "Date received"),
        ["details"] => word("Précisions", "Details"),
        ["method"] => word("Vérification faite", "Check made"),
        ["reason"] => word("Motif", "Reason"),
        ["conditions"] => word("Conditions", "Conditions"),
        ["wording"] => word("Formulation acceptée", "Wording agreed to"),
        ["document_ref"] => word("Référence du document signé", "Signed document's reference"),
        _ => field.to_owned(),
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
        "search_words" => "doit contenir une lettre ou un chiffre",
        "before_discovery" => "ne doit pas être après la découverte",
        "after_discovery" => "ne doit pas être avant la découverte",
        "after_start" => "ne doit pas être avant le début",
        "non_negative" => "doit être un nombre entier, 0 ou plus",
        "datetime" => "doit être une date et une heure",
        "unknown_nature" => "doit être confidentialité, intégrité ou disponibilité",
        "unknown_category" => "doit être une catégorie ou un champ du catalogue (contact.email)",
        "risk_is_notified" => "une violation présentant un risque est notifiée : pas de raison de ne pas le faire",
        "already_notified" => "la CNIL a déjà été notifiée de cette violation",
        "initial_first" => "la première notification est la notification initiale",
        "fixed_once_notified" => "la CNIL a été notifiée : la date de découverte, point de départ des 72 heures, ne change plus",
        "after_previous" => "ne doit pas être avant la notification précédente",
        "assessed_no_risk" => "cette violation est évaluée sans risque : changez l'évaluation avant de notifier",
        "high_risk_required" => "les personnes ne sont informées que d'une violation évaluée à risque élevé (art. 34) : évaluez-la d'abord",
        "required_for_language" => "certaines des personnes à informer lisent cette langue : rédigez leur message dans celle-ci",
        "no_one_to_tell" => "personne dans le périmètre n'a d'adresse email : élargissez le périmètre ou informez-les autrement",
        "unknown_segment" => "doit être un segment existant",
        "locale_missing" => "des destinataires autorisés lisent cette langue : rédigez l'objet et le texte dans celle-ci",
        "date_order" => "la fin doit venir après le début",
        "unknown_operator" => "doit être une règle proposée pour ce champ",
        "unknown_field" => "doit être un champ du contact",
        "not_filterable" => "ce champ ne peut pas servir de condition",
        "boolean" => "doit être oui ou non",
        "staff_only" => "un essai part à l'adresse d'un membre de l'équipe : envoyez-le depuis l'interface",
        "unknown_rule" => "doit être : présents, créés ou modifiés pendant la période",
        "phone_format" => "doit être un numéro de téléphone valide, au format international (+33 6 12 34 56 78) ou national français (06 12 34 56 78)",
        "email_format" => "doit être une adresse e-mail valide (nom@domaine.fr)",
        "postal_code_format" => "doit être un code postal valide pour le pays",
        "name_letters" => "doit contenir des lettres (espaces, traits d'union et apostrophes admis)",
        "no_control_characters" => "ne doit pas contenir de caractères de contrôle",
        "no_hidden_characters" => "ne doit pas contenir de caractères invisibles ou qui changent le sens de lecture",
        "mixed_script" => "le domaine ne doit pas mêler alphabets latin, grec ou cyrillique dans un même mot",
        "country_code" => "doit être un code pays ISO à deux lettres (FR, BE, …)",
        "b2b_needs_company" => "un contact B2B est une personne dans une entreprise : choisissez l'entreprise",
        "company_exists" => "aucune entreprise n'a cet identifiant",
        "contact_kind" => "doit être b2b ou b2c",
        "locale" => "doit être fr ou en",
        "wording_required" => "écrivez ce que la personne a accepté",
        "suppressed" => "appartient à une personne effacée : elle figure sur la liste d'opposition et n'est pas ajoutée de nouveau",
        "confirm_erasure" => "cochez la case pour confirmer l'effacement : rien n'a été effacé",
        "erasure_only" => "cette action répond à une demande d'effacement",
        "already_erased" => "cette personne a déjà été effacée : il ne reste rien à effacer",
        "already_taken" => "un autre contact a déjà cette valeur : cherchez-le plutôt que d'en créer un second",
        "person_only_source" => "seule la personne enregistre cela, depuis son portail ou un lien que Candor lui envoie",
        "import_only_source" => "seul l'import enregistre cette source",
        "request_kind" => "doit être un type de demande : accès, rectification, effacement, portabilité, limitation, opposition ou information",
        "request_channel" => "doit être un canal : en personne, courrier, e-mail, téléphone ou API",
        "not_in_future" => "ne peut pas être postérieure à aujourd'hui",
        "date_format" => "doit être une date (AAAA-MM-JJ)",
        "subject_required" => "indiquez le contact, ou ce que la personne a donné d'elle-même (nom, e-mail ou adresse postale)",
        "reference_exists" => "aucun contact n'a cet identifiant",
        "uuid" => "doit être un identifiant de contact (UUID)",
        "identity_not_verified" => "vérifiez d'abord l'identité de la personne : rien n'est communiqué ni modifié avant",
        "identity_already_verified" => "l'identité a déjà été vérifiée",
        "request_closed" => "la demande est close : plus rien ne la modifie",
        "extended_once" => "le délai a déjà été prolongé ; il ne peut l'être qu'une fois",
        "extension_length" => "la prolongation est d'un ou deux mois",
        "extension_too_late" => "une prolongation doit être décidée et annoncée pendant le premier mois",
        "answered_by_its_act" => "cette demande est close par son acte (données remises, corrigées ou effacées), pas par une note",
        "no_restriction" => "cette demande ne limite plus rien",
        "bundle_for_access_or_portability" => "un dossier répond à une demande d'accès ou de portabilité",
        "no_contact" => "aucun contact ne correspond : la réponse est que nous ne détenons rien",
        "delivery_channel" => "doit être e-mail, lien, clé USB ou courrier",
        "no_address" => "aucune adresse e-mail n'est connue pour cette personne : remettez-lui le lien autrement",
        "existing_directory" => "doit être le chemin absolu d'un dossier existant (la clé montée)",
        "writable" => "le dossier n'a pas pu y être écrit",
        "drive_root" => "doit être une clé montée sous /media, /mnt ou /run/media",
        "password_length" => "doit compter de 12 à 200 caractères",
        "password_contains_email" => "ne doit pas contenir l'adresse e-mail",
        "not_correctable_here" => "se corrige par une demande à notre délégué à la protection des données",
        "data_category" => "doit être identifiante, transactionnelle, technique ou catégorie particulière",
        "siret_format" => "doit compter 14 chiffres (les espaces sont admis)",
        "siret_checksum" => "n'est pas un SIRET valide : un chiffre est sans doute mal saisi",
        "body_format" => "doit compter de 1 à 50 000 caractères",
        "subject_format" => "doit compter de 1 à 200 caractères",
        "unknown_locale" => "doit être fr ou en",
        "email_required" => "un compte se connecte avec une adresse e-mail : indiquez-en une d'abord",
        "portal_request_kind" => "doit être effacement, limitation ou opposition",
        "address_unavailable" => "ne peut pas servir ici : écrivez à notre délégué à la protection des données",
        "nothing_changed" => "rien ne diffère de ce que nous détenons",
        "unknown_purpose" => "doit être un usage qui demande votre consentement",
        "refusal_reason" => "doit être un motif : manifestement infondée, excessive ou identité non établie",
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
    fn dates_are_written_as_the_reader_writes_them_in_paris_time() {
        assert_eq!(day(&FR, "2025-12-31"), "31/12/2025");
        assert_eq!(day(&EN, "2025-12-31T23:30:00Z"), "31 Dec 2025");
        assert_eq!(day(&FR, "soon"), "soon");
        // Winter: UTC+1; summer: UTC+2, from the last Sunday of March at 01:00 UTC.
        assert_eq!(moment(&FR, "2026-01-15T13:05:00Z"), "15/01/2026 à 14:05");
        assert_eq!(moment(&EN, "2026-07-01T13:05:00Z"), "1 Jul 2026, 15:05");
        assert_eq!(moment(&FR, "2026-03-29T00:59:00Z"), "29/03/2026 à 01:59");
        assert_eq!(moment(&FR, "2026-03-29T01:00:00Z"), "29/03/2026 à 03:00");
        assert_eq!(moment(&FR, "2026-10-25T00:59:00Z"), "25/10/2026 à 02:59");
        assert_eq!(moment(&FR, "2026-10-25T01:00:00Z"), "25/10/2026 à 02:00");
        // Late on the 31st in UTC is the next day in Paris.
        assert_eq!(moment(&FR, "2025-12-31T23:30:00Z"), "01/01/2026 à 00:30");
    }

    #[test]
    fn numbers_are_grouped_as_the_reader_writes_them() {
        assert_eq!(grouped(&FR, 1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(grouped(&EN, 1_234_567), "1,234,567");
        assert_eq!(grouped(&EN, 999), "999");
        assert_eq!(grouped(&FR, -1000), "-1\u{202f}000");
    }

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
