// parlog's web interface: plain JavaScript, no build step, no requests to anything but this
// server. It signs in with a bearer token (kept in sessionStorage only), records field notes
// (kept in a localStorage outbox until the server has them, so nothing is lost offline and the
// event id makes retries safe), research events for researchers, and shows the projections, the
// charts and the retrospective, refreshed live from the SSE feed.
'use strict';

(() => {
  const API = '/api/v1';
  const KEY = {
    token: 'parlog.token', // sessionStorage: gone when the tab closes
    lang: 'parlog.lang',
    outbox: 'parlog.outbox.v1', // localStorage: notes not yet acknowledged by the server
    catalog: 'parlog.catalog.v1', // localStorage: names for the note form's lists, for offline use
  };
  const LOG_PAGE_EVENTS = 1000; // the server's page_events_max
  const RECENT_NOTES_MAX = 12;
  const RETRY_INTERVAL_MS = 15000;
  const FEED_STALL_MS = 45000; // the server sends a keep-alive comment every 15 s
  const VIEWER_POLL_MS = 30000; // viewers may not follow the feed; they poll the log's head
  const SUBJECTS_MAX = 20;

  // ---- words ---------------------------------------------------------------------------------

  const T = {
    nl: {
      skip: 'Naar de inhoud',
      'nav.label': 'Onderdelen',
      signout: 'Afmelden',
      'signin.title': 'Aanmelden',
      'signin.intro': 'parlog is het logboek van het actieonderzoek. Meld je aan met de code of de link die je van de beheerder kreeg.',
      'signin.token': 'Aanmeldcode',
      'signin.help': 'De code blijft alleen in dit tabblad bewaard en verdwijnt als je het sluit of afmeldt.',
      'signin.submit': 'Aanmelden',
      'signin.empty': 'Vul de aanmeldcode in (die begint met plg_).',
      'signin.bad': 'Deze code werkt niet (meer). Vraag de beheerder om een nieuwe.',
      'signin.expired': 'Je bent afgemeld: de code werkt niet meer. Meld je opnieuw aan.',
      'signin.offline': 'Er is geen verbinding met de server; probeer het zo opnieuw.',
      'signedout': 'Je bent afgemeld.',
      'signout.waiting': 'Er staan nog {n} niet verstuurde notities op dit toestel; ze worden verstuurd zodra je weer aanmeldt.',
      'role.makelaar': 'sociaal makelaar',
      'role.researcher': 'onderzoeker',
      'role.viewer': 'lezer',
      'role.admin': 'beheerder',
      'net.online': 'Online',
      'net.offline': 'Offline',
      'net.live': 'Live',
      'net.live.title': 'Nieuwe gebeurtenissen verschijnen vanzelf',
      'outbox.short': 'Te versturen',
      'outbox.title': 'Nog te versturen',
      'outbox.help': 'Deze notities staan op dit toestel en worden verstuurd zodra er verbinding is.',
      'outbox.retry': 'Nu versturen',
      'outbox.waiting': 'wacht op verbinding',
      'outbox.rejected': 'geweigerd door de server',
      'outbox.remove': 'Verwijderen',
      'outbox.remove.confirm': 'Deze notitie is nog niet opgeslagen. Echt verwijderen?',
      'outbox.copy': 'Tekst kopiëren',
      'outbox.copied': 'Tekst gekopieerd.',
      'outbox.sent1': 'De bewaarde notitie is verstuurd.',
      'outbox.sent': '{n} bewaarde notities zijn verstuurd.',
      'tab.note': 'Notitie',
      'tab.reflection': 'Reflectie',
      'tab.method': 'Werkwijze',
      'tab.rolechange': 'Functiewijziging',
      'tab.initiatives': 'Initiatieven',
      'tab.activity': 'Werkdruk',
      'tab.cycles': 'Cycli',
      'tab.role': 'Functie',
      'tab.signals': 'Signalen',
      'tab.lessons': 'Lessen',
      'tab.network': 'Netwerk',
      'tab.warnings': 'Waarschuwingen',
      'tab.retro': 'Terugblik',
      'tab.admin': 'Beheer',
      'note.title': 'Veldnotitie',
      'note.text': 'Wat heb je gezien of gehoord?',
      'note.text.help': 'Deze tekst wordt versleuteld bewaard. Noem mensen met hun code (zoals r-017), niet met hun naam.',
      'note.topic': 'Onderwerp (kort, niet verplicht)',
      'note.when': 'Datum en tijd',
      'note.when.help': 'Staat op nu; zet het terug als je iets van eerder vastlegt.',
      'note.area': 'Gebied',
      'note.initiative': 'Initiatief',
      'note.health': 'Positieve Gezondheid',
      'note.codes': 'Codes',
      'note.people': "Betrokkenen (codes, gescheiden door komma's)",
      'note.people.help': 'Bijvoorbeeld r-017, r-023. Hun gegevens in deze notitie kunnen later op verzoek worden vergeten.',
      'note.cycle': 'Onderzoekscyclus (niet verplicht)',
      'note.submit': 'Notitie opslaan',
      'note.saved': 'Notitie opgeslagen.',
      'note.queued': 'Bewaard op dit toestel; wordt verstuurd zodra er verbinding is.',
      'note.err.text': 'Schrijf eerst wat je hebt gezien of gehoord.',
      'note.err.when': 'Kies een datum en tijd die niet in de toekomst ligt.',
      'note.err.person': '"{v}" is geen geldige code. Gebruik kleine letters, cijfers en streepjes, zoals r-017.',
      'note.err.people': 'Noem hoogstens {n} betrokkenen per notitie.',
      'note.err.name': '"{v}" lijkt een naam. Gebruik de code van de bewoner, zoals r-017, en zet de naam nergens in.',
      'note.untitled': 'veldnotitie',
      'none': '— geen —',
      'choose': '— kies —',
      'group.active': 'Lopend',
      'group.ended': 'Afgerond',
      'group.open': 'Open',
      'group.closed': 'Afgesloten',
      'filter': 'Zoeken',
      'refl.title': 'Reflectie',
      'refl.cycle': 'Cyclus',
      'refl.when': 'Datum en tijd van de sessie',
      'refl.summary': 'Samenvatting',
      'refl.participants': 'Deelnemers',
      'refl.insights': 'Inzichten',
      'refl.add': '+ Inzicht toevoegen',
      'refl.remove': 'Inzicht verwijderen',
      'refl.kind': 'Soort',
      'refl.text': 'Inzicht',
      'refl.theme': 'Thema (niet verplicht)',
      'refl.stakeholder': 'Meerwaarde voor',
      'refl.observations': 'Waarnemingen waarop de reflectie rust',
      'refl.obs.cycle': 'Bij deze cyclus',
      'refl.obs.recent': 'Recente veldnotities',
      'refl.obs.none': 'Kies eerst een cyclus.',
      'refl.submit': 'Reflectie opslaan',
      'refl.saved': 'Reflectie opgeslagen.',
      'refl.err.cycle': 'Kies de cyclus waar de reflectie bij hoort.',
      'refl.err.insight': 'Leg minstens één inzicht vast.',
      'refl.err.text': 'Vul de tekst van elk inzicht in.',
      'refl.err.stakeholder': 'Kies voor wie de meerwaarde is.',
      'form.role': 'Functie',
      'form.rationale': 'Waarom',
      'form.effective': 'Gaat in op',
      'form.err.required': 'Vul dit veld in.',
      'method.title': 'Werkwijze gewijzigd',
      'method.aspect': 'Wat verandert er (kort)',
      'method.before': 'Hoe het was',
      'method.after': 'Hoe het wordt',
      'method.reflections': 'Reflecties die tot de wijziging leidden',
      'method.submit': 'Wijziging opslaan',
      'method.saved': 'Wijziging van de werkwijze opgeslagen.',
      'rolechange.title': 'Functie gewijzigd',
      'rolechange.help': 'Vul alleen in wat verandert; de rest blijft zoals het is.',
      'rolechange.mandate': 'Opdracht (mandaat)',
      'rolechange.tasks': 'Taken (één per regel)',
      'rolechange.fte': 'Capaciteit (fte)',
      'rolechange.position': 'Positie',
      'rolechange.submit': 'Wijziging opslaan',
      'rolechange.saved': 'Wijziging van de functie opgeslagen.',
      'rolechange.now': 'Nu: {v}',
      'rolechange.err.none': 'Vul minstens één van opdracht, taken, capaciteit of positie in.',
      'rolechange.err.fte': 'Vul een capaciteit in tussen 0 en 1000, zoals 4 of 4,5.',
      'recent.title': 'Laatste veldnotities',
      'recent.none': 'Nog geen veldnotities.',
      'recent.sealed': 'tekst afgeschermd',
      'recent.forgotten': 'tekst vergeten op verzoek',
      'view.cycles': 'Onderzoekscycli',
      'view.role': 'De functie door de tijd',
      'view.initiatives': 'Initiatieven',
      'view.signals': 'Signalen',
      'view.lessons': 'Lessen',
      'view.network': 'Netwerk',
      'view.activity': 'Werkdruk en activiteit',
      'view.warnings': 'Waarschuwingen uit de praktijk',
      'view.retro': 'Terugblik',
      'view.admin': 'Beheer',
      asof: 'Stand op',
      'asof.now': 'Nu',
      loading: 'Bezig met laden…',
      refresh: 'Vernieuwen',
      'updated': 'Stand van nu, bijgewerkt om {t}. Kies een datum om terug te kijken.',
      'updated.asof': 'Zoals het was op {d}.',
      'chart.none': 'Nog niets te tekenen op deze datum.',
      'chart.scroll': 'Schuif de tekening opzij om alles te zien.',
      'chart.region': 'Tekening',
      'err.offline': 'Geen verbinding met de server. Wat je al had blijft staan.',
      'err.notkept': 'Geen verbinding, en deze browser kan niets bewaren (opslag vol of uitgezet). Kopieer je tekst en probeer het later opnieuw.',
      'err.generic': 'Er ging iets mis: {m}',
      'err.forbidden': 'Dit mag je met jouw rol niet: {m}',
      'src': 'bron',
      'cycle.n': 'Cyclus {n}',
      'cycle.notes': '{n} veldnotities',
      'cycle.insights': '{n} inzichten',
      'cycle.by': 'geopend door {v}',
      'cycle.plan': 'Plan en verloop',
      'cycle.outcome': 'Uitkomst',
      'cycle.question': 'Vraag',
      'cycle.follows': 'volgt op cyclus {v}',
      'cycle.none': 'Nog geen cycli.',
      'role.current': 'Zoals de functie nu is',
      'role.timeline': 'Wijzigingen',
      'role.before': 'Was',
      'role.after': 'Wordt',
      'role.why': 'Waarom',
      'role.notyet': 'nog niet van kracht',
      'role.none': 'De functie is nog niet beschreven.',
      'init.notes': 'veldnotities',
      'init.stage': 'Fase',
      'init.started': 'gestart {d}',
      'init.broker': 'Rol van de makelaar',
      'init.leads': 'de makelaar trekt het initiatief',
      'init.history': 'Verloop',
      'init.handed': 'Overgedragen aan {v}',
      'init.stopped': 'Gestopt',
      'init.signals': 'Ontstaan uit signalen',
      'init.none': 'Nog geen initiatieven.',
      'init.stage.handed_over': 'overgedragen',
      'init.stage.stopped': 'gestopt',
      'sig.total': '{n} signalen in totaal',
      'sig.themes': 'Thema’s',
      'sig.theme': 'Thema',
      'sig.count': 'Aantal',
      'sig.into': 'Gebundeld in',
      'sig.notyet': 'nog niet gebundeld',
      'sig.areas': 'Per gebied',
      'sig.none': 'Nog geen signalen.',
      'les.counts': 'Inzichten per soort',
      'les.added': 'Meerwaarde per groep',
      'les.none': 'Nog geen inzichten.',
      'net.nodes': '{n} deelnemers, {m} verbindingen',
      'net.people': 'Deelnemers',
      'net.name': 'Naam',
      'net.role': 'Rol',
      'net.area': 'Gebied',
      'net.degree': 'Verbindingen',
      'net.left': 'vertrokken {d}',
      'net.initiatives': 'Wie werkt mee aan welk initiatief',
      'act.areas': 'Veldnotities per gebied',
      'act.area': 'Gebied',
      'act.notes': 'Notities',
      'act.trend': 'Per maand',
      'act.noarea': 'zonder gebied',
      'act.brokers': 'Makelaars',
      'act.broker.active': 'lopende initiatieven nu: {n}',
      'act.broker.leading': 'waarvan zelf trekker: {n}',
      'act.broker.notes': 'veldnotities: {n}',
      'act.active.trend': 'Lopende initiatieven per maand',
      'act.others': 'Andere schrijvers van veldnotities',
      'act.today': 'Tot en met {d}',
      'warn.thresholds': 'Drempels: trekker hoogstens {a} maanden, hoogstens {b} lopende initiatieven per makelaar, hoogstens {c} dagen tussen reflecties.',
      'warn.none': 'Geen waarschuwingen. Mooi zo.',
      'warn.since': 'sinds {d}',
      'retro.area': 'Gebied',
      'retro.allareas': 'Alle gebieden',
      'retro.show': 'Vernieuwen',
      'retro.html': 'Download HTML',
      'retro.md': 'Download Markdown',
      'retro.print': 'Afdrukken',
      'retro.stale': 'Er zijn nieuwe gebeurtenissen.',
      'retro.downloaded': '{f} gedownload.',
      'admin.verify.help': 'Controleer de hele keten van gebeurtenissen op wijzigingen achteraf.',
      'admin.verify': 'Keten controleren',
      'admin.ok': 'De keten is in orde: {n} gebeurtenissen, laatste positie {p}.',
      'admin.bad': 'De keten is beschadigd vanaf positie {p}.',
      saved: 'Opgeslagen.',
      'live.new': 'Nieuwe veldnotitie van {v}',
    },
    en: {
      skip: 'Skip to content',
      'nav.label': 'Sections',
      signout: 'Sign out',
      'signin.title': 'Sign in',
      'signin.intro': 'parlog is the log of the action research. Sign in with the code or the link you got from the administrator.',
      'signin.token': 'Sign-in code',
      'signin.help': 'The code is kept in this tab only, and is gone when you close it or sign out.',
      'signin.submit': 'Sign in',
      'signin.empty': 'Enter the sign-in code (it starts with plg_).',
      'signin.bad': 'This code does not work (any more). Ask the administrator for a new one.',
      'signin.expired': 'You were signed out: the code no longer works. Please sign in again.',
      'signin.offline': 'The server cannot be reached; try again in a moment.',
      'signedout': 'You are signed out.',
      'signout.waiting': '{n} notes on this device have not been sent yet; they are sent when you sign in again.',
      'role.makelaar': 'community broker',
      'role.researcher': 'researcher',
      'role.viewer': 'reader',
      'role.admin': 'administrator',
      'net.online': 'Online',
      'net.offline': 'Offline',
      'net.live': 'Live',
      'net.live.title': 'New events appear by themselves',
      'outbox.short': 'To send',
      'outbox.title': 'Waiting to be sent',
      'outbox.help': 'These notes are on this device and are sent as soon as there is a connection.',
      'outbox.retry': 'Send now',
      'outbox.waiting': 'waiting for a connection',
      'outbox.rejected': 'refused by the server',
      'outbox.remove': 'Remove',
      'outbox.remove.confirm': 'This note has not been stored yet. Remove it anyway?',
      'outbox.copy': 'Copy text',
      'outbox.copied': 'Text copied.',
      'outbox.sent1': 'The kept note has been sent.',
      'outbox.sent': '{n} kept notes have been sent.',
      'tab.note': 'Note',
      'tab.reflection': 'Reflection',
      'tab.method': 'Method',
      'tab.rolechange': 'Role change',
      'tab.initiatives': 'Initiatives',
      'tab.activity': 'Workload',
      'tab.cycles': 'Cycles',
      'tab.role': 'Role',
      'tab.signals': 'Signals',
      'tab.lessons': 'Lessons',
      'tab.network': 'Network',
      'tab.warnings': 'Warnings',
      'tab.retro': 'Retrospective',
      'tab.admin': 'Admin',
      'note.title': 'Field note',
      'note.text': 'What did you see or hear?',
      'note.text.help': 'This text is stored encrypted. Refer to people by their code (such as r-017), not by name.',
      'note.topic': 'Topic (short, optional)',
      'note.when': 'Date and time',
      'note.when.help': 'Set to now; move it back if you record something from earlier.',
      'note.area': 'Area',
      'note.initiative': 'Initiative',
      'note.health': 'Positive Health',
      'note.codes': 'Codes',
      'note.people': 'People involved (codes, separated by commas)',
      'note.people.help': 'For example r-017, r-023. Their data in this note can be forgotten later on request.',
      'note.cycle': 'Research cycle (optional)',
      'note.submit': 'Save note',
      'note.saved': 'Note saved.',
      'note.queued': 'Kept on this device; it is sent as soon as there is a connection.',
      'note.err.text': 'First write what you saw or heard.',
      'note.err.when': 'Choose a date and time that is not in the future.',
      'note.err.person': '"{v}" is not a valid code. Use lower-case letters, digits and dashes, such as r-017.',
      'note.err.people': 'Name at most {n} people per note.',
      'note.err.name': '"{v}" looks like a name. Use the resident\'s code, such as r-017, and leave the name out.',
      'note.untitled': 'field note',
      'none': '— none —',
      'choose': '— choose —',
      'group.active': 'Running',
      'group.ended': 'Ended',
      'group.open': 'Open',
      'group.closed': 'Closed',
      'filter': 'Search',
      'refl.title': 'Reflection',
      'refl.cycle': 'Cycle',
      'refl.when': 'Date and time of the session',
      'refl.summary': 'Summary',
      'refl.participants': 'Participants',
      'refl.insights': 'Insights',
      'refl.add': '+ Add an insight',
      'refl.remove': 'Remove insight',
      'refl.kind': 'Kind',
      'refl.text': 'Insight',
      'refl.theme': 'Theme (optional)',
      'refl.stakeholder': 'Added value for',
      'refl.observations': 'Observations the reflection rests on',
      'refl.obs.cycle': 'In this cycle',
      'refl.obs.recent': 'Recent field notes',
      'refl.obs.none': 'Choose a cycle first.',
      'refl.submit': 'Save reflection',
      'refl.saved': 'Reflection saved.',
      'refl.err.cycle': 'Choose the cycle the reflection belongs to.',
      'refl.err.insight': 'Record at least one insight.',
      'refl.err.text': 'Fill in the text of every insight.',
      'refl.err.stakeholder': 'Choose for whom the added value is.',
      'form.role': 'Role',
      'form.rationale': 'Why',
      'form.effective': 'Effective from',
      'form.err.required': 'Fill in this field.',
      'method.title': 'Method changed',
      'method.aspect': 'What changes (short)',
      'method.before': 'How it was',
      'method.after': 'How it will be',
      'method.reflections': 'Reflections that led to the change',
      'method.submit': 'Save change',
      'method.saved': 'Change of method saved.',
      'rolechange.title': 'Role changed',
      'rolechange.help': 'Fill in only what changes; the rest stays as it is.',
      'rolechange.mandate': 'Mandate',
      'rolechange.tasks': 'Tasks (one per line)',
      'rolechange.fte': 'Capacity (FTE)',
      'rolechange.position': 'Position',
      'rolechange.submit': 'Save change',
      'rolechange.saved': 'Change of role saved.',
      'rolechange.now': 'Now: {v}',
      'rolechange.err.none': 'Fill in at least one of mandate, tasks, capacity or position.',
      'rolechange.err.fte': 'Enter a capacity between 0 and 1000, such as 4 or 4.5.',
      'recent.title': 'Latest field notes',
      'recent.none': 'No field notes yet.',
      'recent.sealed': 'text not shown',
      'recent.forgotten': 'text forgotten on request',
      'view.cycles': 'Research cycles',
      'view.role': 'The role over time',
      'view.initiatives': 'Initiatives',
      'view.signals': 'Signals',
      'view.lessons': 'Lessons',
      'view.network': 'Network',
      'view.activity': 'Workload and activity',
      'view.warnings': 'Warnings from practice',
      'view.retro': 'Retrospective',
      'view.admin': 'Administration',
      asof: 'As of',
      'asof.now': 'Now',
      loading: 'Loading…',
      refresh: 'Refresh',
      'updated': 'As it is now, updated at {t}. Choose a date to look back.',
      'updated.asof': 'As it was on {d}.',
      'chart.none': 'Nothing to draw yet on this date.',
      'chart.scroll': 'Swipe the picture sideways to see all of it.',
      'chart.region': 'Picture',
      'err.offline': 'The server cannot be reached. What was shown stays.',
      'err.notkept': 'No connection, and this browser cannot keep anything (storage full or switched off). Copy your text and try again later.',
      'err.generic': 'Something went wrong: {m}',
      'err.forbidden': 'Your role may not do this: {m}',
      'src': 'source',
      'cycle.n': 'Cycle {n}',
      'cycle.notes': '{n} field notes',
      'cycle.insights': '{n} insights',
      'cycle.by': 'opened by {v}',
      'cycle.plan': 'Plan and course',
      'cycle.outcome': 'Outcome',
      'cycle.question': 'Question',
      'cycle.follows': 'follows cycle {v}',
      'cycle.none': 'No cycles yet.',
      'role.current': 'The role as it is now',
      'role.timeline': 'Changes',
      'role.before': 'Was',
      'role.after': 'Becomes',
      'role.why': 'Why',
      'role.notyet': 'not yet in effect',
      'role.none': 'The role has not been described yet.',
      'init.notes': 'field notes',
      'init.stage': 'Stage',
      'init.started': 'started {d}',
      'init.broker': "The broker's role",
      'init.leads': 'the broker leads the initiative',
      'init.history': 'Course',
      'init.handed': 'Handed over to {v}',
      'init.stopped': 'Stopped',
      'init.signals': 'Grown from signals',
      'init.none': 'No initiatives yet.',
      'init.stage.handed_over': 'handed over',
      'init.stage.stopped': 'stopped',
      'sig.total': '{n} signals in all',
      'sig.themes': 'Themes',
      'sig.theme': 'Theme',
      'sig.count': 'Count',
      'sig.into': 'Collectivised into',
      'sig.notyet': 'not collectivised yet',
      'sig.areas': 'Per area',
      'sig.none': 'No signals yet.',
      'les.counts': 'Insights per kind',
      'les.added': 'Added value per group',
      'les.none': 'No insights yet.',
      'net.nodes': '{n} participants, {m} connections',
      'net.people': 'Participants',
      'net.name': 'Name',
      'net.role': 'Role',
      'net.area': 'Area',
      'net.degree': 'Connections',
      'net.left': 'left {d}',
      'net.initiatives': 'Who works on which initiative',
      'act.areas': 'Field notes per area',
      'act.area': 'Area',
      'act.notes': 'Notes',
      'act.trend': 'Per month',
      'act.noarea': 'no area',
      'act.brokers': 'Brokers',
      'act.broker.active': 'running initiatives now: {n}',
      'act.broker.leading': 'of which leading: {n}',
      'act.broker.notes': 'field notes: {n}',
      'act.active.trend': 'Running initiatives per month',
      'act.others': 'Other authors of field notes',
      'act.today': 'Up to {d}',
      'warn.thresholds': 'Thresholds: leading at most {a} months, at most {b} running initiatives per broker, at most {c} days between reflections.',
      'warn.none': 'No warnings. Well done.',
      'warn.since': 'since {d}',
      'retro.area': 'Area',
      'retro.allareas': 'All areas',
      'retro.show': 'Refresh',
      'retro.html': 'Download HTML',
      'retro.md': 'Download Markdown',
      'retro.print': 'Print',
      'retro.stale': 'There are new events.',
      'retro.downloaded': '{f} downloaded.',
      'admin.verify.help': 'Check the whole chain of events for changes after the fact.',
      'admin.verify': 'Verify the chain',
      'admin.ok': 'The chain is intact: {n} events, last position {p}.',
      'admin.bad': 'The chain is damaged from position {p}.',
      saved: 'Saved.',
      'live.new': 'New field note by {v}',
    },
  };

  // The closed vocabularies the forms offer (the same ids and labels as the server's).
  const VOCAB = {
    health: [
      ['bodily_functions', 'lichaamsfuncties', 'bodily functions'],
      ['mental_wellbeing', 'mentaal welbevinden', 'mental well-being'],
      ['meaningfulness', 'zingeving', 'meaningfulness'],
      ['quality_of_life', 'kwaliteit van leven', 'quality of life'],
      ['participation', 'meedoen', 'participation'],
      ['daily_functioning', 'dagelijks functioneren', 'daily functioning'],
    ],
    insight: [
      ['success', 'succes', 'success'],
      ['pitfall', 'valkuil', 'pitfall'],
      ['tip', 'tip', 'tip'],
      ['question', 'open vraag', 'open question'],
      ['added_value', 'meerwaarde', 'added value'],
    ],
    stakeholder: [
      ['residents', 'buurtbewoners', 'residents'],
      ['neighbourhood', 'wijk', 'neighbourhood'],
      ['social_team', 'sociaal team', 'social team'],
      ['organisations', 'organisaties', 'organisations'],
      ['municipality', 'gemeente', 'municipality'],
    ],
    stage: [
      ['inventory', 'inventarisatie', 'inventory'],
      ['bringing_together', 'mensen bij elkaar brengen', 'bringing people together'],
      ['action', 'actiefase', 'action'],
      ['anchoring', 'borging', 'anchoring'],
    ],
  };

  // Sections of the page: who may see them, and in which order the tabs appear.
  const VIEWS = [
    { id: 'note', roles: ['makelaar', 'researcher'] },
    { id: 'reflection', roles: ['researcher'] },
    { id: 'method', roles: ['researcher'] },
    { id: 'rolechange', roles: ['researcher'] },
    { id: 'initiatives' },
    { id: 'activity' },
    { id: 'cycles' },
    { id: 'role' },
    { id: 'signals' },
    { id: 'lessons' },
    { id: 'network' },
    { id: 'warnings' },
    { id: 'retro' },
    { id: 'admin', roles: ['admin'] },
  ];
  const DEFAULT_VIEW = { makelaar: 'note', researcher: 'note', viewer: 'initiatives', admin: 'admin' };
  const WRITES = ['makelaar', 'researcher'];

  // ---- state ---------------------------------------------------------------------------------

  const S = {
    lang: readLang(),
    token: null,
    me: null, // {participant, role}
    view: null,
    online: navigator.onLine,
    live: false,
    head: 0, // the highest log position any answer mentioned (viewers poll it)
    feedPos: 0, // the last position read from the log or the feed, in order: the feed goes on after it
    areas: new Map(), // area stream id -> {name, kind, parent}
    subjects: new Set(), // data subjects seen in readable notes, for suggestions
    recent: [], // recent field notes, newest first
    cache: {}, // projection name -> {data, stale}
    views: {}, // view id -> {asOf, seq}
    feed: null, // AbortController of the running feed
    flushing: false,
    retryTimer: null,
    pollTimer: null,
    refreshTimer: null,
    epoch: 0, // bumped at sign-out, so late answers for an old session are dropped
  };

  // ---- small helpers -------------------------------------------------------------------------

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  function t(key, vars) {
    let s = (T[S.lang] && T[S.lang][key]) ?? T.nl[key] ?? key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
    return s;
  }

  function label(vocab, id) {
    const row = VOCAB[vocab].find((r) => r[0] === id);
    return row ? (S.lang === 'en' ? row[2] : row[1]) : id;
  }

  // Builds an element: h('p', {class: 'x', onclick: f, 'data-id': 1}, 'text', child, [more]).
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k in el && typeof v !== 'string') el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    append(el, kids);
    return el;
  }
  function append(el, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k === null || k === undefined || k === false || k === '') continue;
      el.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return el;
  }

  function readLang() {
    try {
      const l = localStorage.getItem(KEY.lang);
      if (l === 'nl' || l === 'en') return l;
    } catch (_) { /* storage may be off */ }
    return 'nl';
  }

  function locale() {
    return S.lang === 'en' ? 'en-GB' : 'nl-NL';
  }

  // 'YYYY-MM-DD' as a local day (not UTC midnight, which would shift it west of Greenwich).
  function parseDay(s) {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s || '');
    return m ? new Date(+m[1], +m[2] - 1, +m[3]) : null;
  }
  function fmtDay(s) {
    const d = parseDay(s);
    return d ? d.toLocaleDateString(locale(), { day: 'numeric', month: 'short', year: 'numeric' }) : '';
  }
  function fmtMonth(s) {
    const d = parseDay(`${s}-01`);
    return d ? d.toLocaleDateString(locale(), { month: 'short', year: 'numeric' }) : s;
  }
  function fmtDateTime(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso || '';
    return d.toLocaleString(locale(), { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
  }
  function fmtTime(d) {
    return d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
  }
  const pad = (n) => String(n).padStart(2, '0');
  // A Date as the value of <input type="datetime-local">, in local time.
  function localInputValue(d) {
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  function todayValue() {
    const d = new Date();
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }
  // RFC 3339 with the local offset, as the server expects: 2018-01-01T09:00:00+01:00.
  function rfc3339(d) {
    const off = -d.getTimezoneOffset();
    const sign = off >= 0 ? '+' : '-';
    const a = Math.abs(off);
    return `${localInputValue(d)}:${pad(d.getSeconds())}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
  }

  // crypto.randomUUID exists only in secure contexts (https, localhost); a phone on the local
  // network over plain http has getRandomValues only.
  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const x = Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function srcRef(src) {
    if (!src) return null;
    return h('span', { class: 'src', title: t('src') }, `#${src.position} · ${fmtDay(src.date)}`);
  }

  // Several sources, with room between them.
  function srcRefs(list) {
    return (list || []).flatMap((src, i) => (i ? [' ', srcRef(src)] : [srcRef(src)]));
  }

  function toast(msg, kind = 'ok') {
    const el = $('#toast');
    el.textContent = msg;
    el.className = `toast ${kind}`;
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { el.hidden = true; }, kind === 'error' ? 8000 : 4000);
  }

  function storageGet(store, key, fallback) {
    try {
      const v = store.getItem(key);
      return v === null ? fallback : JSON.parse(v);
    } catch (_) {
      return fallback;
    }
  }
  function storageSet(store, key, value) {
    try {
      store.setItem(key, JSON.stringify(value));
      return true;
    } catch (_) {
      return false;
    }
  }

  // ---- the API -------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail || `HTTP ${status}`);
      this.status = status;
    }
  }
  class NetError extends Error {}

  async function request(path, opts = {}) {
    const headers = Object.assign({ Authorization: `Bearer ${S.token}` }, opts.headers || {});
    let res;
    try {
      res = await fetch(API + path, Object.assign({}, opts, { headers, cache: 'no-store' }));
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new NetError(e.message);
    }
    if (!res.ok) {
      let detail = '';
      try {
        const body = await res.text();
        try {
          detail = JSON.parse(body).detail || body;
        } catch (_) {
          detail = body;
        }
      } catch (_) { /* the body is lost with the connection */ }
      if (res.status === 401 && opts.signOutOn401 !== false) expired();
      throw new ApiError(res.status, detail);
    }
    return res;
  }
  const getJson = async (path, opts) => (await request(path, opts)).json();
  const query = (o) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
    const s = p.toString();
    return s ? `?${s}` : '';
  };

  function errorText(e) {
    if (e instanceof NetError) return e.message === t('err.notkept') ? e.message : t('err.offline');
    if (e instanceof ApiError && e.status === 403) return t('err.forbidden', { m: e.message });
    return t('err.generic', { m: e.message });
  }

  // ---- who is signed in ----------------------------------------------------------------------

  // GET /api/v1/me says who the token belongs to and what it may do.
  async function whoAmI() {
    let res;
    try {
      res = await fetch(`${API}/me`, { headers: { Authorization: `Bearer ${S.token}` }, cache: 'no-store' });
    } catch (e) {
      throw new NetError(e.message);
    }
    if (!res.ok) throw new ApiError(res.status, res.status === 401 ? 'bad token' : `GET /me: ${res.status}`);
    const me = await res.json();
    return { participant: me.participant, role: me.role };
  }

  // ---- signing in and out --------------------------------------------------------------------

  async function signIn(token, { quiet = false } = {}) {
    S.token = token;
    const err = $('#signin-error');
    err.hidden = true;
    try {
      S.me = await whoAmI();
    } catch (e) {
      S.token = null;
      // Only a refused token is forgotten; without a connection it is kept for the next try.
      if (e instanceof ApiError) sessionStorage.removeItem(KEY.token);
      if (!quiet) {
        err.textContent = e instanceof ApiError && e.status === 401 ? t('signin.bad') : t('signin.offline');
        err.hidden = false;
      }
      // Offline with a token from before a reload: keep the token and show what is kept here.
      if (e instanceof NetError && quiet) return offlineStart(token);
      showSignIn();
      return;
    }
    sessionStorage.setItem(KEY.token, token);
    storageSet(sessionStorage, 'parlog.me', S.me);
    started();
  }

  // A reload while offline (the page itself comes from the service worker): work from what this
  // tab knew, so notes can still be written into the outbox.
  function offlineStart(token) {
    const me = storageGet(sessionStorage, 'parlog.me', null);
    if (!me) return showSignIn();
    S.token = token;
    S.me = me;
    started();
  }

  function started() {
    S.epoch += 1;
    $('#signin').hidden = true;
    $('#signout').hidden = false;
    $('#tabs').hidden = false;
    restoreCatalog();
    rebuildFormLists();
    renderWho();
    buildTabs();
    renderOutbox();
    route();
    if (WRITES.includes(S.me.role)) {
      loadCatalog().catch(() => {});
    }
    startLive();
    flushOutbox();
  }

  function expired() {
    if (!S.token) return;
    signOut(t('signin.expired'));
  }

  function signOut(message) {
    const waiting = S.me ? outbox.mine().length : 0;
    if (waiting) message = `${message || ''} ${t('signout.waiting', { n: waiting })}`.trim();
    S.epoch += 1;
    S.token = null;
    S.me = null;
    sessionStorage.removeItem(KEY.token);
    sessionStorage.removeItem('parlog.me');
    stopLive();
    S.cache = {};
    S.recent = [];
    S.views = {};
    S.areas = new Map();
    S.subjects = new Set();
    S.scanned = false;
    S.head = 0;
    S.feedPos = 0;
    $$('.view.projection').forEach((s) => { s.dataset.built = ''; $$(':scope > :not(h1)', s).forEach((n) => n.remove()); });
    clearRetro();
    showSignIn(message);
  }

  function showSignIn(message) {
    $$('.view').forEach((v) => { v.hidden = true; });
    $('#tabs').hidden = true;
    $('#signout').hidden = true;
    $('#who').textContent = '';
    renderOutbox();
    const s = $('#signin');
    s.hidden = false;
    const err = $('#signin-error');
    if (message) {
      err.textContent = message;
      err.hidden = false;
    }
    $('#token-input').focus();
  }

  function renderWho() {
    if (!S.me) return;
    const node = S.me.participant && S.cache.network && S.cache.network.data.nodes.find((n) => n.id === `participant:${S.me.participant}`);
    const name = node ? node.label : S.me.participant;
    $('#who').textContent = [name, t(`role.${S.me.role}`)].filter(Boolean).join(' · ');
  }

  // ---- navigation ----------------------------------------------------------------------------

  function allowed(v) {
    return S.me && (!v.roles || v.roles.includes(S.me.role));
  }

  function buildTabs() {
    const list = $('#tab-list');
    const shown = VIEWS.filter(allowed);
    const firstRead = shown.find((v) => !v.roles || !v.roles.some((r) => WRITES.includes(r)));
    list.replaceChildren(...shown.map((v) => h('a', { href: `#/${v.id}`, class: v === firstRead && shown[0] !== v ? 'tab group-start' : 'tab', 'data-view': v.id, text: t(`tab.${v.id}`) })));
    markTab();
  }

  function markTab() {
    for (const a of $$('#tab-list a')) {
      const on = a.dataset.view === S.view;
      if (on) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
      if (on) a.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
  }

  function route() {
    if (!S.me) return;
    const m = /^#\/([a-z]+)/.exec(location.hash);
    let id = m ? m[1] : null;
    const v = VIEWS.find((x) => x.id === id);
    if (!v || !allowed(v)) {
      id = DEFAULT_VIEW[S.me.role] || 'initiatives';
      history.replaceState(null, '', `${location.pathname}${location.search}#/${id}`);
    }
    show(id);
  }

  function show(id) {
    const changed = S.view !== id;
    S.view = id;
    $$('.view').forEach((v) => { v.hidden = v.id !== `view-${id}`; });
    markTab();
    const sec = $(`#view-${id}`);
    if (sec.classList.contains('projection')) loadView(id);
    else if (id === 'note') openNoteForm();
    else if (id === 'reflection') openReflectionForm();
    else if (id === 'method') openMethodForm();
    else if (id === 'rolechange') openRoleChangeForm();
    else if (id === 'retro') openRetro();
    if (changed) window.scrollTo(0, 0);
  }

  // ---- language ------------------------------------------------------------------------------

  function applyLang() {
    document.documentElement.lang = S.lang;
    for (const el of $$('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of $$('[data-i18n-attr]')) {
      for (const pair of el.dataset.i18nAttr.split(';')) {
        const [attr, key] = pair.split(':');
        el.setAttribute(attr, t(key));
      }
    }
    for (const b of $$('.lang button')) b.setAttribute('aria-pressed', String(b.dataset.lang === S.lang));
    renderNet();
    renderOutbox();
  }

  function setLang(lang) {
    if (lang === S.lang) return;
    S.lang = lang;
    try { localStorage.setItem(KEY.lang, lang); } catch (_) { /* not kept */ }
    applyLang();
    if (!S.me) return;
    renderWho();
    buildTabs();
    // Labels from the server are in the language asked for: fetch again.
    for (const c of Object.values(S.cache)) c.stale = true;
    $$('.view.projection').forEach((s) => { s.dataset.built = ''; $$(':scope > :not(h1)', s).forEach((n) => n.remove()); });
    clearRetro();
    rebuildFormLists();
    if (WRITES.includes(S.me.role)) refreshCatalogLists().catch(() => {});
    renderRecent();
    show(S.view);
  }

  // ---- connection state ----------------------------------------------------------------------

  function renderNet() {
    const el = $('#net');
    const state = !S.online ? 'offline' : S.live ? 'live' : 'online';
    el.textContent = t(`net.${state}`);
    el.className = `chip net ${state}`;
    el.title = state === 'live' ? t('net.live.title') : '';
  }

  function setOnline(on) {
    S.online = on;
    renderNet();
    if (on) {
      flushOutbox();
      if (S.me && !S.live) restartLive();
      // Started offline from this tab's memory: read what was missed.
      if (S.me && WRITES.includes(S.me.role) && !S.scanned) loadCatalog().catch(() => {});
    } else if (S.feed) {
      S.feed.abort();
    }
  }

  // ---- catalog: the lists the forms offer ----------------------------------------------------

  function restoreCatalog() {
    const c = storageGet(localStorage, KEY.catalog, null);
    if (!c || c.participant !== S.me.participant) return;
    for (const a of c.areas || []) S.areas.set(a.id, a);
    for (const s of c.subjects || []) S.subjects.add(s);
    for (const name of ['initiatives', 'codebook', 'cycles']) {
      if (c[name] && !S.cache[name]) S.cache[name] = { data: c[name], stale: true };
    }
  }

  // Keeps what the note form needs (names only, no note texts), so it works after an offline reload.
  function saveCatalog() {
    if (!S.me) return;
    const slim = {
      participant: S.me.participant,
      areas: Array.from(S.areas, ([id, a]) => Object.assign({ id }, a)),
      subjects: Array.from(S.subjects).slice(0, 500),
    };
    const ini = S.cache.initiatives && S.cache.initiatives.data;
    if (ini) slim.initiatives = { initiatives: ini.initiatives.map((i) => ({ id: i.id, name: i.name, area: i.area, area_name: i.area_name, status: i.status })) };
    const cb = S.cache.codebook && S.cache.codebook.data;
    if (cb) slim.codebook = { codes: cb.codes.map((c) => ({ id: c.id, name: c.name, merged_into: c.merged_into })) };
    const cy = S.cache.cycles && S.cache.cycles.data;
    if (cy) {
      slim.cycles = {
        levels: cy.levels.map((l) => ({
          level: l.level,
          level_label: l.level_label,
          areas: l.areas.map((a) => ({ area: a.area, area_name: a.area_name, cycles: a.cycles.map((c) => ({ id: c.id, question: c.question, status: c.status, level_label: c.level_label, area_name: c.area_name, steps: [] })) })),
        })),
      };
    }
    storageSet(localStorage, KEY.catalog, slim);
  }

  async function projection(name, { asOf, force } = {}) {
    if (!asOf) {
      const c = S.cache[name];
      if (c && !c.stale && !force) return c.data;
    }
    const epoch = S.epoch;
    const data = await getJson(`/projections/${name}${query({ lang: S.lang, as_of: asOf })}`);
    if (epoch !== S.epoch) throw new Error('signed out');
    if (!asOf) S.cache[name] = { data, stale: false };
    if (data.as_of_position && !asOf) S.head = Math.max(S.head, data.as_of_position);
    return data;
  }

  async function loadCatalog() {
    const names = ['initiatives', 'codebook', 'cycles', 'network'];
    const results = await Promise.allSettled(names.map((n) => projection(n)));
    if (S.me && S.me.role === 'researcher') await Promise.allSettled([projection('role')]);
    if (S.me && (S.me.role === 'makelaar' || S.me.role === 'researcher')) await scanLog().catch(() => {});
    renderWho();
    rebuildFormLists();
    saveCatalog();
    return results;
  }

  // Reads the whole log once, in pages, for what no projection lists: the areas (AreaDefined),
  // the latest field notes and the data subjects named in them.
  async function scanLog() {
    const epoch = S.epoch;
    let from = 1;
    const notes = [];
    for (;;) {
      const page = await getJson(`/events${query({ from, limit: LOG_PAGE_EVENTS })}`);
      if (epoch !== S.epoch) return;
      for (const e of page.events) takeEvent(e, notes);
      if (page.events.length) S.feedPos = Math.max(S.feedPos, page.events[page.events.length - 1].position);
      S.head = Math.max(S.head, S.feedPos);
      if (!page.next) break;
      from = page.next;
    }
    S.recent = notes.slice(-RECENT_NOTES_MAX).reverse();
    S.scanned = true;
    renderRecent();
  }

  // What one event adds to the catalog; `notes` collects field notes in log order.
  function takeEvent(e, notes) {
    if (e.kind === 'AreaDefined') {
      S.areas.set(e.stream, { name: e.payload.name, kind: e.payload.kind, parent: e.payload.parent || null });
    } else if (e.kind === 'ObservationRecorded') {
      notes.push(e);
      if (notes.length > RECENT_NOTES_MAX * 2) notes.splice(0, notes.length - RECENT_NOTES_MAX);
      for (const s of (e.sealed && e.sealed.subjects) || []) if (s.startsWith('resident:')) S.subjects.add(s);
    }
  }

  // ---- the live feed -------------------------------------------------------------------------

  function startLive() {
    if (!S.me) return;
    if (S.me.role === 'viewer') {
      // Viewers may not follow the feed; a small projection's position tells when the log grew.
      clearInterval(S.pollTimer);
      S.pollTimer = setInterval(pollHead, VIEWER_POLL_MS);
      return;
    }
    runFeed(S.epoch);
  }

  function stopLive() {
    if (S.feed) S.feed.abort();
    if (S.wakeFeed) S.wakeFeed();
    S.feed = null;
    S.live = false;
    clearInterval(S.pollTimer);
    renderNet();
  }

  // Reconnects at once: ends the current connection or the wait before the next one, or starts
  // the loop if none runs for this session.
  function restartLive() {
    if (!S.me || S.me.role === 'viewer') return;
    if (S.feed) S.feed.abort();
    if (S.wakeFeed) S.wakeFeed();
    if (S.feedLoop !== S.epoch) runFeed(S.epoch);
  }

  async function pollHead() {
    if (!S.me || !S.online) return;
    try {
      const before = S.head;
      const w = await getJson(`/projections/warnings${query({ lang: S.lang })}`);
      if (w.as_of_position > before && before > 0) {
        S.head = w.as_of_position;
        invalidateAll();
        scheduleRefresh();
      }
      S.head = Math.max(S.head, w.as_of_position || 0);
    } catch (_) { /* next time */ }
  }

  // Follows GET /api/v1/feed with fetch (EventSource cannot send the token), parsing the
  // Server-Sent Events itself, and reconnects with Last-Event-ID so that nothing is skipped.
  async function runFeed(epoch) {
    if (S.feedLoop === epoch) return;
    S.feedLoop = epoch;
    try {
      await followFeed(epoch);
    } finally {
      if (S.feedLoop === epoch) S.feedLoop = null;
    }
  }

  function pause(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      S.wakeFeed = () => { clearTimeout(timer); resolve(); };
    });
  }

  async function followFeed(epoch) {
    let backoff = 1000;
    while (S.me && epoch === S.epoch) {
      if (!S.online) {
        await pause(5000);
        continue;
      }
      const ctrl = new AbortController();
      S.feed = ctrl;
      let stall = null;
      const kick = () => {
        clearTimeout(stall);
        stall = setTimeout(() => ctrl.abort(), FEED_STALL_MS);
      };
      try {
        // Wait for the first scan so the feed starts right after what it read.
        if (WRITES.includes(S.me.role) && !S.scanned) {
          await waitFor(() => S.scanned || epoch !== S.epoch, 20000);
        }
        const headers = { Authorization: `Bearer ${S.token}`, Accept: 'text/event-stream' };
        if (S.feedPos > 0) headers['Last-Event-ID'] = String(S.feedPos);
        const res = await fetch(`${API}/feed`, { headers, signal: ctrl.signal, cache: 'no-store' });
        if (res.status === 401) return expired();
        if (res.status === 403) return; // this role does not follow the feed
        if (!res.ok) throw new Error(`feed: HTTP ${res.status}`);
        S.live = true;
        renderNet();
        backoff = 1000;
        kick();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          kick();
          buf += value;
          let cut;
          while ((cut = nextBlockEnd(buf)) !== null) {
            const block = buf.slice(0, cut.at);
            buf = buf.slice(cut.at + cut.len);
            onSse(block, epoch);
          }
        }
      } catch (_) {
        /* aborted, offline or the server went away: reconnect below */
      } finally {
        clearTimeout(stall);
      }
      if (S.feed === ctrl) S.feed = null;
      S.live = false;
      renderNet();
      if (!S.me || epoch !== S.epoch) return;
      await pause(backoff);
      backoff = Math.min(backoff * 2, 30000);
    }
  }

  async function waitFor(cond, ms) {
    const end = Date.now() + ms;
    while (!cond() && Date.now() < end) await sleep(100);
  }

  function nextBlockEnd(buf) {
    const m = /\r?\n\r?\n/.exec(buf);
    return m ? { at: m.index, len: m[0].length } : null;
  }

  function onSse(block, epoch) {
    let id = null;
    let type = 'message';
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? '' : line.slice(i + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') id = value;
      else if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
    }
    if (type !== 'event' || !data.length || epoch !== S.epoch) return;
    let e;
    try {
      e = JSON.parse(data.join('\n'));
    } catch (_) {
      return;
    }
    const pos = Number(id || e.position);
    if (pos && pos <= S.feedPos) return; // already seen (a reconnect that overlapped)
    if (pos) {
      S.feedPos = pos;
      S.head = Math.max(S.head, pos);
    }
    onEvent(e);
  }

  // A new event in the log: update what the page keeps, and refresh what it shows.
  function onEvent(e) {
    const notes = [];
    takeEvent(e, notes);
    if (notes.length) {
      S.recent = [e].concat(S.recent.filter((n) => n.id !== e.id)).slice(0, RECENT_NOTES_MAX);
      renderRecent(e.id);
      if (S.me && e.author !== S.me.participant) $('#live-region').textContent = t('live.new', { v: noteLine(e).author });
    }
    invalidateAll();
    if (['AreaDefined', 'InitiativeStarted', 'InitiativeStopped', 'InitiativeHandedOver', 'CodeDefined', 'CodeRenamed', 'CodesMerged', 'CycleOpened', 'CycleClosed', 'ParticipantRegistered', 'RoleDescribed', 'RoleChanged', 'ReflectionRecorded'].includes(e.kind)) {
      clearTimeout(S.catalogTimer);
      S.catalogTimer = setTimeout(() => { if (S.me) refreshCatalogLists(); }, 500);
    }
    scheduleRefresh();
  }

  function invalidateAll() {
    for (const c of Object.values(S.cache)) c.stale = true;
    const doc = $('#retro-doc');
    if (doc.classList.contains('loaded') && !$('#retro-asof').value) $('#retro-stale').hidden = false;
  }

  async function refreshCatalogLists() {
    await Promise.allSettled(['initiatives', 'codebook', 'cycles', 'network', 'role'].map((n) => projection(n)));
    rebuildFormLists();
    saveCatalog();
  }

  function scheduleRefresh() {
    clearTimeout(S.refreshTimer);
    S.refreshTimer = setTimeout(() => {
      if (!S.me) return;
      const sec = $(`#view-${S.view}`);
      // A view of a past day is refreshed too: a note may be recorded later about that time.
      if (sec && sec.classList.contains('projection')) loadView(S.view, { quiet: true });
    }, 400);
  }

  // ---- the outbox ----------------------------------------------------------------------------

  // Every event this page writes goes through the outbox: it is kept in localStorage first, then
  // sent. The event id is fixed when the note is made, so a retry after a lost answer is stored
  // once (the server answers a repeated id with the original position).
  const outbox = {
    all() {
      return storageGet(localStorage, KEY.outbox, []);
    },
    save(items) {
      return storageSet(localStorage, KEY.outbox, items);
    },
    add(item) {
      const items = this.all().filter((x) => x.event.id !== item.event.id);
      items.push(item);
      return this.save(items);
    },
    remove(id) {
      this.save(this.all().filter((x) => x.event.id !== id));
    },
    update(id, patch) {
      this.save(this.all().map((x) => (x.event.id === id ? Object.assign({}, x, patch) : x)));
    },
    mine() {
      return this.all().filter((x) => S.me && x.participant === S.me.participant);
    },
  };

  function renderOutbox() {
    const items = S.me ? outbox.mine() : [];
    const n = items.length;
    $('#outbox-count').textContent = String(n);
    $('#outbox-button').hidden = n === 0;
    $('#outbox-button').classList.toggle('bad', items.some((x) => x.rejected));
    const card = $('#outbox-card');
    card.hidden = n === 0;
    $('#outbox-list').replaceChildren(...items.map((x) => {
      const text = (x.event.sealed && x.event.sealed.text) || x.event.payload.aspect || x.event.payload.summary || x.event.kind;
      return h('li', { class: x.rejected ? 'outbox-item rejected' : 'outbox-item', 'data-id': x.event.id },
        h('div', { class: 'meta' }, fmtDateTime(x.event.occurred_at), ' · ', x.rejected ? t('outbox.rejected') : t('outbox.waiting')),
        h('p', { class: 'excerpt', text: text.length > 160 ? `${text.slice(0, 160)}…` : text }),
        x.error ? h('p', { class: 'error', text: x.error }) : null,
        x.rejected ? h('div', { class: 'buttons' },
          h('button', { type: 'button', text: t('outbox.copy'), onclick: () => copyText(text) }),
          h('button', { type: 'button', class: 'danger', text: t('outbox.remove'), onclick: () => { if (confirm(t('outbox.remove.confirm'))) { outbox.remove(x.event.id); renderOutbox(); } } })) : null);
    }));
  }

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      toast(t('outbox.copied'));
    } catch (_) { /* clipboard not allowed here */ }
  }

  function scheduleRetry() {
    clearTimeout(S.retryTimer);
    S.retryTimer = setTimeout(flushOutbox, RETRY_INTERVAL_MS);
  }

  // Sends what waits in the outbox, oldest first, one event per request so that one refused
  // event does not hold up the others. Returns the ids stored in this round.
  async function flushOutbox() {
    const stored = new Set();
    if (!S.me || !S.token || S.flushing) return stored;
    if (!navigator.onLine) {
      if (outbox.mine().some((x) => !x.rejected)) scheduleRetry();
      return stored;
    }
    S.flushing = true;
    try {
      for (const item of outbox.mine()) {
        if (item.rejected) continue;
        try {
          await request('/events', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([item.event]) });
          outbox.remove(item.event.id);
          stored.add(item.event.id);
        } catch (e) {
          if (e instanceof NetError || (e instanceof ApiError && (e.status >= 500 || e.status === 429 || e.status === 408))) {
            outbox.update(item.event.id, { attempts: (item.attempts || 0) + 1 });
            scheduleRetry();
            break;
          }
          if (e instanceof ApiError && e.status === 401) break;
          outbox.update(item.event.id, { rejected: true, error: e.message, status: e.status });
        }
      }
    } finally {
      S.flushing = false;
      renderOutbox();
    }
    if (outbox.mine().some((x) => !x.rejected)) scheduleRetry();
    if (stored.size && !S.submitting) toast(t(stored.size === 1 ? 'outbox.sent1' : 'outbox.sent', { n: stored.size }));
    return stored;
  }

  // Writes events from a form: into the outbox, then to the server. Returns 'stored', 'queued',
  // or throws the server's refusal (the events are then taken out of the outbox again, so the
  // person can correct the form and try again).
  async function submit(events) {
    const now = new Date().toISOString();
    const kept = events.every((event) => outbox.add({ participant: S.me.participant, queued_at: now, event, attempts: 0 }));
    if (!kept) {
      // This browser keeps nothing (storage full or switched off): send straight away, or say so.
      for (const e of events) outbox.remove(e.id);
      try {
        await request('/events', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(events) });
        return 'stored';
      } catch (e) {
        if (e instanceof NetError) throw new NetError(t('err.notkept'));
        throw e;
      }
    }
    renderOutbox();
    while (S.flushing) await sleep(50);
    S.submitting = true;
    let stored;
    try {
      stored = await flushOutbox();
    } finally {
      S.submitting = false;
    }
    if (events.every((e) => stored.has(e.id))) return 'stored';
    const left = outbox.all().filter((x) => events.some((e) => e.id === x.event.id));
    const refused = left.find((x) => x.rejected);
    if (refused) {
      for (const e of events) outbox.remove(e.id);
      renderOutbox();
      throw new ApiError(refused.status || 400, refused.error);
    }
    return 'queued';
  }

  // ---- forms: shared parts -------------------------------------------------------------------

  function formError(form, msg, field) {
    const el = $('.error[role=alert]', form);
    $$('[aria-invalid]', form).forEach((f) => f.removeAttribute('aria-invalid'));
    if (!msg) {
      el.hidden = true;
      el.textContent = '';
      return;
    }
    el.textContent = msg;
    el.hidden = false;
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    } else {
      el.scrollIntoView({ block: 'nearest' });
    }
  }

  function options(select, groups, { placeholder, keep = true } = {}) {
    const before = keep ? select.value : '';
    const kids = [];
    if (placeholder !== undefined) kids.push(h('option', { value: '', text: placeholder }));
    for (const g of groups) {
      const opts = g.items.map((it) => h('option', { value: it.value, text: it.text }));
      if (!opts.length) continue;
      kids.push(g.label ? h('optgroup', { label: g.label }, opts) : opts);
    }
    select.replaceChildren(...kids.flat());
    if (before && $$('option', select).some((o) => o.value === before)) select.value = before;
  }

  function checkList(container, items, name, { keep = true } = {}) {
    const checked = new Set(keep ? $$('input:checked', container).map((i) => i.value) : []);
    container.replaceChildren(...items.map((it) => {
      const id = `${name}-${it.value.replace(/[^a-z0-9]/gi, '_')}`;
      return h('label', { class: 'check', for: id, 'data-filter': (it.filter || it.text).toLowerCase() },
        h('input', { type: 'checkbox', id, name, value: it.value, checked: checked.has(it.value) }),
        h('span', {}, it.text, it.hint ? h('small', { text: it.hint }) : null));
    }));
  }

  function checked(container) {
    return $$('input[type=checkbox]:checked', container).map((i) => i.value);
  }

  function countChecked(container, out) {
    const n = checked(container).length;
    out.textContent = n ? `(${n})` : '';
  }

  // Areas sorted as a tree: the city, its districts, their neighbourhoods (indented).
  function areaItems() {
    const all = Array.from(S.areas, ([id, a]) => Object.assign({ id }, a));
    const kids = (p) => all.filter((a) => (a.parent || null) === p).sort((x, y) => x.name.localeCompare(y.name, 'nl'));
    const out = [];
    const walk = (p, depth) => {
      for (const a of kids(p)) {
        if (out.some((o) => o.value === a.id)) continue;
        out.push({ value: a.id, text: `${'\u00a0\u00a0'.repeat(depth)}${depth ? '– ' : ''}${a.name}` });
        walk(a.id, depth + 1);
      }
    };
    walk(null, 0);
    for (const a of all) if (!out.some((o) => o.value === a.id)) out.push({ value: a.id, text: a.name });
    return out;
  }

  // Areas seen in projections, for when the log could not be read (or not yet).
  function areasFromProjections() {
    const ini = S.cache.initiatives && S.cache.initiatives.data;
    if (ini) for (const i of ini.initiatives) if (i.area && !S.areas.has(i.area)) S.areas.set(i.area, { name: i.area_name || i.area, kind: null, parent: null });
  }

  function cycleGroups() {
    const cy = S.cache.cycles && S.cache.cycles.data;
    if (!cy) return [];
    const open = [];
    const closed = [];
    for (const l of cy.levels) {
      for (const a of l.areas) {
        a.cycles.forEach((c, i) => {
          const item = { value: c.id, text: `${l.level_label}${a.area_name ? ` ${a.area_name}` : ''} ${i + 1}: ${c.question}`, cycle: c, level: l, area: a };
          (c.status === 'closed' ? closed : open).push(item);
        });
      }
    }
    return [{ label: t('group.open'), items: open }, { label: t('group.closed'), items: closed }];
  }

  function rebuildFormLists() {
    areasFromProjections();
    // note form
    options($('#note-area'), [{ items: areaItems() }], { placeholder: t('none') });
    const ini = (S.cache.initiatives && S.cache.initiatives.data.initiatives) || [];
    const ended = (i) => i.status === 'stopped' || i.status === 'handed_over';
    const byName = (a, b) => a.name.localeCompare(b.name, 'nl');
    const iniItem = (i) => ({ value: i.id, text: i.area_name ? `${i.name} (${i.area_name})` : i.name });
    options($('#note-initiative'), [
      { label: t('group.active'), items: ini.filter((i) => !ended(i)).sort(byName).map(iniItem) },
      { label: t('group.ended'), items: ini.filter(ended).sort(byName).map(iniItem) },
    ], { placeholder: t('none') });
    checkList($('#note-health-list'), VOCAB.health.map(([id]) => ({ value: id, text: label('health', id) })), 'health');
    const codes = ((S.cache.codebook && S.cache.codebook.data.codes) || []).filter((c) => !c.merged_into);
    checkList($('#note-codes-list'), codes.map((c) => ({ value: c.id, text: c.name })), 'code');
    countChecked($('#note-codes-list'), $('#note-codes-count'));
    options($('#note-cycle'), cycleGroups(), { placeholder: t('none') });
    $('#people-list').replaceChildren(...Array.from(S.subjects).sort().map((s) => h('option', { value: s.replace(/^resident:/, '') })));
    // reflection form
    if (S.me && S.me.role === 'researcher') {
      options($('#refl-cycle'), cycleGroups(), { placeholder: t('choose') });
      const nodes = ((S.cache.network && S.cache.network.data.nodes) || []).slice().sort((a, b) => a.label.localeCompare(b.label, 'nl'));
      checkList($('#refl-participants'), nodes.map((n) => ({ value: n.id, text: n.label, hint: n.role_label })), 'participant');
      countChecked($('#refl-participants'), $('#refl-participants-count'));
      renderObservationChoices();
      const roles = (S.cache.role && S.cache.role.data.roles) || [];
      const roleItems = roles.map((r) => ({ value: r.id, text: roleTitle(r) }));
      options($('#method-role'), [{ items: roleItems }], {});
      options($('#rolechange-role'), [{ items: roleItems }], {});
      renderReflectionChoices();
      renderRoleCurrent();
    }
  }

  function roleTitle(r) {
    const title = r.state && r.state.find((s) => s.field === 'title');
    return title ? String(title.value) : r.id;
  }

  // ---- the field-note form -------------------------------------------------------------------

  let noteWhenTouched = false;

  function openNoteForm() {
    const when = $('#note-when');
    if (!noteWhenTouched) when.value = localInputValue(new Date());
    when.max = localInputValue(new Date(Date.now() + 60000));
    renderRecent();
    renderOutbox();
  }

  function parsePeople(s) {
    const out = [];
    for (const raw of s.split(/[\s,;]+/)) {
      const v = raw.trim().toLowerCase();
      if (!v) continue;
      const full = /^(resident|participant):/.test(v) ? v : `resident:${v}`;
      const rest = full.slice(full.indexOf(':') + 1);
      if (!/^[a-z0-9][a-z0-9._-]{0,99}$/.test(rest)) return { error: t('note.err.person', { v: raw }) };
      if (full.startsWith('resident:') && !/\d/.test(rest)) return { error: t('note.err.name', { v: raw }) };
      if (!out.includes(full)) out.push(full);
    }
    if (out.length > SUBJECTS_MAX) return { error: t('note.err.people', { n: SUBJECTS_MAX }) };
    return { subjects: out };
  }

  async function onNoteSubmit(ev) {
    ev.preventDefault();
    const f = ev.target;
    formError(f, null);
    const text = $('#note-text').value;
    if (!text.trim()) return formError(f, t('note.err.text'), $('#note-text'));
    const whenEl = $('#note-when');
    const when = noteWhenTouched && whenEl.value ? new Date(whenEl.value) : new Date();
    if (Number.isNaN(when.getTime()) || when.getTime() > Date.now() + 60000) return formError(f, t('note.err.when'), whenEl);
    const people = parsePeople($('#note-people').value);
    if (people.error) return formError(f, people.error, $('#note-people'));
    const payload = {};
    const area = $('#note-area').value;
    const initiative = $('#note-initiative').value;
    const cycle = $('#note-cycle').value;
    const topic = $('#note-topic').value.trim();
    const health = checked($('#note-health-list'));
    const codes = checked($('#note-codes-list'));
    if (area) payload.area = area;
    if (initiative) payload.initiative = initiative;
    if (cycle) payload.cycle = cycle;
    if (topic) payload.topic = topic;
    if (health.length) payload.health = health;
    if (codes.length) payload.codes = codes;
    const sealed = { text };
    if (people.subjects.length) sealed.subjects = people.subjects;
    const event = { id: newId(), stream: `notes:${S.me.participant}`, kind: 'ObservationRecorded', occurred_at: rfc3339(when), payload, sealed };
    const button = $('button[type=submit]', f);
    button.disabled = true;
    try {
      const result = await submit([event]);
      resetNoteForm();
      toast(result === 'stored' ? t('note.saved') : t('note.queued'), result === 'stored' ? 'ok' : 'warn');
      if (result === 'stored') {
        invalidateAll();
      }
    } catch (e) {
      formError(f, errorText(e));
    } finally {
      button.disabled = false;
    }
  }

  function resetNoteForm() {
    // The area stays: a makelaar mostly writes about the same area in a row.
    const area = $('#note-area').value;
    $('#note-form').reset();
    $('#note-area').value = area;
    noteWhenTouched = false;
    $('#note-when').value = localInputValue(new Date());
    countChecked($('#note-codes-list'), $('#note-codes-count'));
  }

  function noteLine(e) {
    const p = e.payload || {};
    const area = p.area && S.areas.get(p.area);
    const ini = p.initiative && S.cache.initiatives && S.cache.initiatives.data.initiatives.find((i) => i.id === p.initiative);
    const nodes = S.cache.network && S.cache.network.data.nodes;
    const author = nodes && nodes.find((n) => n.id === `participant:${e.author}`);
    const sealed = e.sealed || {};
    let text = sealed.data && sealed.data.text;
    let textClass = 'text';
    if (!text) {
      textClass = 'text muted';
      text = sealed.forgotten ? t('recent.forgotten') : sealed.subjects ? t('recent.sealed') : '';
    }
    return { p, area, ini, author: author ? author.label : e.author, text, textClass };
  }

  function renderRecent(fresh) {
    const ul = $('#recent-notes');
    if (!ul) return;
    if (!S.recent.length) {
      ul.replaceChildren(h('li', { class: 'muted', text: t('recent.none') }));
      return;
    }
    ul.replaceChildren(...S.recent.map((e) => {
      const n = noteLine(e);
      return h('li', { class: e.id === fresh ? 'note fresh' : 'note', 'data-id': e.id },
        h('div', { class: 'meta' },
          h('time', { datetime: e.occurred_at, text: fmtDateTime(e.occurred_at) }), ' · ', n.author,
          n.area ? ` · ${n.area.name}` : '', n.ini ? ` · ${n.ini.name}` : ''),
        n.p.topic ? h('strong', { class: 'topic', text: n.p.topic }) : null,
        n.text ? h('p', { class: n.textClass, text: n.text }) : null,
        n.p.health && n.p.health.length ? h('p', { class: 'tags' }, n.p.health.map((d) => h('span', { class: 'tag', text: label('health', d) }))) : null);
    }));
  }

  // ---- the reflection form -------------------------------------------------------------------

  function openReflectionForm() {
    const when = $('#refl-when');
    if (!when.value) when.value = localInputValue(new Date());
    if (!$('#refl-insights').children.length) addInsight();
    if (!S.cache.cycles || S.cache.cycles.stale || !S.cache.role) refreshCatalogLists().catch(() => {});
    else rebuildFormLists();
  }

  function addInsight() {
    const ol = $('#refl-insights');
    const n = ol.children.length + 1;
    const id = `ins-${Date.now().toString(36)}-${n}`;
    const kind = h('select', { id: `${id}-kind`, class: 'ins-kind' }, VOCAB.insight.map(([v]) => h('option', { value: v, text: label('insight', v) })));
    const stake = h('select', { id: `${id}-stake`, class: 'ins-stake' }, h('option', { value: '', text: t('choose') }), VOCAB.stakeholder.map(([v]) => h('option', { value: v, text: label('stakeholder', v) })));
    const stakeField = h('div', { class: 'field ins-stake-field', hidden: true }, h('label', { for: stake.id, 'data-i18n': 'refl.stakeholder', text: t('refl.stakeholder') }), stake);
    kind.addEventListener('change', () => { stakeField.hidden = kind.value !== 'added_value'; });
    const li = h('li', { class: 'insight' },
      h('div', { class: 'row2' },
        h('div', { class: 'field' }, h('label', { for: kind.id, 'data-i18n': 'refl.kind', text: t('refl.kind') }), kind),
        stakeField),
      h('div', { class: 'field' }, h('label', { for: `${id}-text`, 'data-i18n': 'refl.text', text: t('refl.text') }), h('textarea', { id: `${id}-text`, class: 'ins-text', rows: 3, maxlength: 20000 })),
      h('div', { class: 'field' }, h('label', { for: `${id}-theme`, 'data-i18n': 'refl.theme', text: t('refl.theme') }), h('input', { id: `${id}-theme`, class: 'ins-theme', type: 'text', maxlength: 200 })),
      h('button', { type: 'button', class: 'link danger', 'data-i18n': 'refl.remove', text: t('refl.remove'), onclick: () => { li.remove(); if (!ol.children.length) addInsight(); } }));
    ol.append(li);
    return li;
  }

  function renderObservationChoices() {
    const box = $('#refl-observations');
    const id = $('#refl-cycle').value;
    const before = new Set(checked(box));
    const groups = [];
    const cycle = id && cycleGroups().flatMap((g) => g.items).find((x) => x.value === id);
    if (cycle && cycle.cycle.steps) {
      const obs = cycle.cycle.steps.filter((s) => s.kind === 'observation');
      groups.push({ title: t('refl.obs.cycle'), items: obs.map((s) => ({ value: s.id, text: s.topic || t('note.untitled'), hint: [fmtDay(s.src.date), s.by, s.area_name].filter(Boolean).join(' · ') })) });
    }
    const recent = S.recent.map((e) => ({ value: e.id, text: (e.payload && e.payload.topic) || ((e.sealed && e.sealed.data && e.sealed.data.text) || t('note.untitled')).slice(0, 80), hint: [fmtDateTime(e.occurred_at), noteLine(e).author].join(' · ') }));
    groups.push({ title: t('refl.obs.recent'), items: recent.filter((r) => !groups.some((g) => g.items.some((i) => i.value === r.value))) });
    const kids = [];
    for (const g of groups) {
      if (!g.items.length) continue;
      const div = h('div', { class: 'check-grid' });
      checkList(div, g.items, 'observation', { keep: false });
      for (const i of $$('input', div)) i.checked = before.has(i.value);
      kids.push(h('h3', { class: 'small', text: g.title }), div);
    }
    if (!kids.length) kids.push(h('p', { class: 'help', text: t('refl.obs.none') }));
    box.replaceChildren(...kids);
    countChecked(box, $('#refl-obs-count'));
  }

  async function onReflectionSubmit(ev) {
    ev.preventDefault();
    const f = ev.target;
    formError(f, null);
    const cycle = $('#refl-cycle').value;
    if (!cycle) return formError(f, t('refl.err.cycle'), $('#refl-cycle'));
    const when = $('#refl-when').value ? new Date($('#refl-when').value) : new Date();
    if (Number.isNaN(when.getTime()) || when.getTime() > Date.now() + 60000) return formError(f, t('note.err.when'), $('#refl-when'));
    const insights = [];
    for (const li of $$('#refl-insights > li')) {
      const text = $('.ins-text', li).value.trim();
      const kind = $('.ins-kind', li).value;
      const theme = $('.ins-theme', li).value.trim();
      const stake = $('.ins-stake', li).value;
      if (!text && !theme && $$('#refl-insights > li').length > 1) continue;
      if (!text) return formError(f, t('refl.err.text'), $('.ins-text', li));
      const ins = { kind, text };
      if (theme) ins.theme = theme;
      if (kind === 'added_value') {
        if (!stake) return formError(f, t('refl.err.stakeholder'), $('.ins-stake', li));
        ins.stakeholder = stake;
      }
      insights.push(ins);
    }
    if (!insights.length) return formError(f, t('refl.err.insight'), $('.ins-text'));
    const payload = { insights };
    const summary = $('#refl-summary').value.trim();
    if (summary) payload.summary = summary;
    const participants = checked($('#refl-participants'));
    if (participants.length) payload.participants = participants;
    const observations = Array.from(new Set(checked($('#refl-observations'))));
    if (observations.length) payload.observations = observations;
    const event = { id: newId(), stream: cycle, kind: 'ReflectionRecorded', occurred_at: rfc3339(when), payload };
    await submitForm(f, [event], t('refl.saved'), () => {
      f.reset();
      $('#refl-insights').replaceChildren();
      addInsight();
      $('#refl-when').value = localInputValue(new Date());
      rebuildFormLists();
    });
  }

  async function submitForm(f, events, savedMsg, reset) {
    const button = $('button[type=submit]', f);
    button.disabled = true;
    try {
      const result = await submit(events);
      reset();
      toast(result === 'stored' ? savedMsg : t('note.queued'), result === 'stored' ? 'ok' : 'warn');
    } catch (e) {
      formError(f, errorText(e));
    } finally {
      button.disabled = false;
    }
  }

  // ---- method and role changes ---------------------------------------------------------------

  function openMethodForm() {
    if (!$('#method-effective').value) $('#method-effective').value = todayValue();
    if (!S.cache.role || S.cache.role.stale || !S.cache.cycles || S.cache.cycles.stale) refreshCatalogLists().catch(() => {});
    else rebuildFormLists();
  }

  function openRoleChangeForm() {
    if (!$('#rolechange-effective').value) $('#rolechange-effective').value = todayValue();
    if (!S.cache.role || S.cache.role.stale) refreshCatalogLists().catch(() => {});
    else rebuildFormLists();
  }

  function renderReflectionChoices() {
    const box = $('#method-reflections');
    const items = [];
    for (const g of cycleGroups()) {
      for (const c of g.items) {
        for (const s of c.cycle.steps || []) {
          if (s.kind !== 'reflection') continue;
          items.push({ date: s.src.date, value: s.id, text: s.summary || c.cycle.question, hint: `${fmtDay(s.src.date)} · ${c.text.split(':')[0]}` });
        }
      }
    }
    items.sort((a, b) => (a.date < b.date ? 1 : -1));
    checkList(box, items, 'reflection');
    countChecked(box, $('#method-refl-count'));
  }

  function renderRoleCurrent() {
    const roles = (S.cache.role && S.cache.role.data.roles) || [];
    const r = roles.find((x) => x.id === $('#rolechange-role').value) || roles[0];
    for (const p of $$('#rolechange-form [data-current]')) {
      const s = r && r.state.find((x) => x.field === p.dataset.current);
      const v = s ? (Array.isArray(s.value) ? s.value.join('; ') : String(s.value)) : '';
      p.textContent = v ? t('rolechange.now', { v: v.length > 240 ? `${v.slice(0, 240)}…` : v }) : '';
    }
  }

  function requireFields(f, ids) {
    for (const id of ids) {
      const el = $(`#${id}`);
      if (!el.value.trim()) {
        formError(f, t('form.err.required'), el);
        return false;
      }
    }
    return true;
  }

  async function onMethodSubmit(ev) {
    ev.preventDefault();
    const f = ev.target;
    formError(f, null);
    if (!requireFields(f, ['method-role', 'method-aspect', 'method-before', 'method-after', 'method-rationale', 'method-effective'])) return;
    const payload = {
      aspect: $('#method-aspect').value.trim(),
      before: $('#method-before').value.trim(),
      after: $('#method-after').value.trim(),
      rationale: $('#method-rationale').value.trim(),
      effective: $('#method-effective').value,
    };
    const refl = checked($('#method-reflections'));
    if (refl.length) payload.reflections = refl;
    const event = { id: newId(), stream: $('#method-role').value, kind: 'MethodChanged', occurred_at: rfc3339(new Date()), payload };
    await submitForm(f, [event], t('method.saved'), () => {
      const role = $('#method-role').value;
      f.reset();
      $('#method-role').value = role;
      $('#method-effective').value = todayValue();
      countChecked($('#method-reflections'), $('#method-refl-count'));
    });
  }

  async function onRoleChangeSubmit(ev) {
    ev.preventDefault();
    const f = ev.target;
    formError(f, null);
    if (!requireFields(f, ['rolechange-role', 'rolechange-rationale', 'rolechange-effective'])) return;
    const payload = { rationale: $('#rolechange-rationale').value.trim(), effective: $('#rolechange-effective').value };
    const mandate = $('#rolechange-mandate').value.trim();
    const tasks = $('#rolechange-tasks').value.split('\n').map((s) => s.trim()).filter(Boolean);
    const fteRaw = $('#rolechange-fte').value.trim().replace(',', '.');
    const position = $('#rolechange-position').value.trim();
    if (mandate) payload.mandate = mandate;
    if (tasks.length) payload.tasks = tasks;
    if (fteRaw) {
      const fte = Number(fteRaw);
      if (!Number.isFinite(fte) || fte < 0 || fte > 1000) return formError(f, t('rolechange.err.fte'), $('#rolechange-fte'));
      payload.capacity_fte = fte;
    }
    if (position) payload.position = position;
    if (!mandate && !tasks.length && !fteRaw && !position) return formError(f, t('rolechange.err.none'), $('#rolechange-mandate'));
    const event = { id: newId(), stream: $('#rolechange-role').value, kind: 'RoleChanged', occurred_at: rfc3339(new Date()), payload };
    await submitForm(f, [event], t('rolechange.saved'), () => {
      const role = $('#rolechange-role').value;
      f.reset();
      $('#rolechange-role').value = role;
      $('#rolechange-effective').value = todayValue();
    });
  }

  // ---- projection views ----------------------------------------------------------------------

  function buildViewFrame(sec, id) {
    if (sec.dataset.built === S.lang) return;
    $$(':scope > :not(h1)', sec).forEach((n) => n.remove());
    const inputId = `asof-${id}`;
    const input = h('input', { type: 'date', id: inputId, class: 'asof', max: todayValue(), 'aria-describedby': `${inputId}-help` });
    const st = viewState(id);
    input.value = st.asOf || '';
    input.addEventListener('change', () => {
      st.asOf = input.value;
      loadView(id);
    });
    const toolbar = h('div', { class: 'toolbar card no-print' },
      h('div', { class: 'field inline' },
        h('label', { for: inputId, text: t('asof') }),
        input,
        h('button', { type: 'button', class: 'small', text: t('asof.now'), onclick: () => { input.value = ''; st.asOf = ''; loadView(id); } })),
      h('p', { class: 'status-line', role: 'status', id: `${inputId}-help`, 'data-status': '' }));
    // Focusable, so that a keyboard can scroll a picture wider than a phone.
    const chart = sec.dataset.chart ? h('div', { class: 'chart card', 'data-chart-slot': '', tabindex: '0', role: 'region', 'aria-label': t('chart.region') }) : null;
    const body = h('div', { class: 'view-body', 'data-body': '' });
    sec.append(toolbar);
    if (chart) sec.append(chart);
    sec.append(body);
    sec.dataset.built = S.lang;
  }

  function viewState(id) {
    S.views[id] = S.views[id] || { asOf: '', seq: 0 };
    return S.views[id];
  }

  async function loadView(id, { quiet = false } = {}) {
    const sec = $(`#view-${id}`);
    buildViewFrame(sec, id);
    const st = viewState(id);
    const seq = ++st.seq;
    const status = $('[data-status]', sec);
    if (!quiet) {
      status.textContent = t('loading');
      status.classList.remove('error');
    }
    sec.setAttribute('aria-busy', 'true');
    const asOf = st.asOf || undefined;
    const name = sec.dataset.projection;
    const chartName = sec.dataset.chart;
    try {
      const [data, chart] = await Promise.all([
        projection(name, { asOf, force: !asOf }),
        chartName ? fetchChart(chartName, asOf) : Promise.resolve(null),
      ]);
      if (seq !== st.seq || !S.me) return;
      if (chartName) {
        const slot = $('[data-chart-slot]', sec);
        if (chart) {
          slot.innerHTML = chart; // the server's own figure; every text in it is escaped there
          for (const svg of $$('svg', slot)) {
            const vb = (svg.getAttribute('viewBox') || '').split(/\s+/).map(Number);
            if (vb[2] > 400) svg.classList.add('wide');
          }
          if (slot.scrollWidth > slot.clientWidth + 4) slot.append(h('p', { class: 'help scroll-hint', text: t('chart.scroll') }));
        } else {
          slot.replaceChildren(h('p', { class: 'muted', text: t('chart.none') }));
        }
      }
      const body = $('[data-body]', sec);
      body.replaceChildren();
      append(body, [RENDER[id](data)]);
      status.textContent = asOf ? t('updated.asof', { d: fmtDay(asOf) }) : t('updated', { t: fmtTime(new Date()) });
      status.classList.remove('error');
      if (id === 'activity' || id === 'initiatives') saveCatalog();
    } catch (e) {
      if (seq !== st.seq) return;
      status.textContent = errorText(e);
      status.classList.add('error');
    } finally {
      if (seq === st.seq) sec.removeAttribute('aria-busy');
    }
  }

  async function fetchChart(name, asOf) {
    try {
      const res = await request(`/charts/${name}${query({ lang: S.lang, as_of: asOf })}`);
      return await res.text();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  }

  const empty = (key) => h('p', { class: 'muted empty', text: t(key) });
  const tags = (list) => (list && list.length ? h('p', { class: 'tags' }, list.map((x) => h('span', { class: 'tag', text: typeof x === 'string' ? x : x.label }))) : null);

  // Every month from `first` to `last` ('YYYY-MM'), so that bars stand on a time axis.
  function monthAxis(first, last) {
    const out = [];
    if (!first || !last) return out;
    let [y, m] = first.split('-').map(Number);
    const [ly, lm] = last.split('-').map(Number);
    while ((y < ly || (y === ly && m <= lm)) && out.length < 1200) {
      out.push(`${y}-${pad(m)}`);
      m += 1;
      if (m > 12) { m = 1; y += 1; }
    }
    return out;
  }

  // A small bar chart of monthly numbers, for the workload view.
  function sparkline(values, labelText) {
    const max = Math.max(1, ...values.map((v) => v.n));
    const w = Math.max(1, values.length) * 3;
    const bars = values.map((v, i) => {
      const bh = v.n ? Math.max(2, Math.round((v.n / max) * 22)) : 0;
      return bh ? `<rect x="${i * 3}" y="${24 - bh}" width="2.4" height="${bh}"><title>${esc(fmtMonth(v.m))}: ${v.n}</title></rect>` : '';
    }).join('');
    const span = h('span', { class: 'spark', role: 'img', 'aria-label': labelText });
    span.innerHTML = `<svg viewBox="0 0 ${w} 25" preserveAspectRatio="none" aria-hidden="true"><line x1="0" y1="24.5" x2="${w}" y2="24.5" class="axis"/>${bars}</svg>`;
    return span;
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }

  // A table; with `stack`, narrow screens show each row as a small block with labelled cells.
  function table(headers, rows, { caption, cls, stack } = {}) {
    if (stack) {
      for (const tr of rows) Array.from(tr.children).forEach((cell, i) => { if (i > 0) cell.dataset.label = headers[i]; });
    }
    return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption || headers[0] },
      h('table', { class: `${cls || ''}${stack ? ' stack' : ''}` },
        caption ? h('caption', { text: caption }) : null,
        h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col', text: x })))),
        h('tbody', {}, rows)));
  }

  const RENDER = {
    cycles(d) {
      const out = [];
      if (!d.levels || !d.levels.length) return empty('cycle.none');
      for (const l of d.levels) {
        out.push(h('h2', { text: l.level_label }));
        for (const a of l.areas) {
          if (a.area_name && (l.areas.length > 1 || l.level === 'wijk')) out.push(h('h3', { text: a.area_name }));
          out.push(h('ol', { class: 'cards cycles' }, a.cycles.map((c, i) => {
            const insights = (c.steps || []).filter((s) => s.kind === 'reflection').reduce((n, s) => n + (s.insights || 0), 0);
            return h('li', { class: `card cycle ${c.status}`, 'data-id': c.id },
              h('div', { class: 'card-head' },
                h('span', { class: 'badge', text: t('cycle.n', { n: i + 1 }) }),
                h('span', { class: `status ${c.status}`, text: c.status_label }),
                h('span', { class: 'dates' }, fmtDay(c.opened.date), c.outcome ? ` – ${fmtDay(c.outcome.src.date)}` : '')),
              h('p', { class: 'question', text: c.question }),
              h('p', { class: 'meta' }, t('cycle.notes', { n: c.field_notes }), ' · ', t('cycle.insights', { n: insights }), c.opened_by ? ` · ${t('cycle.by', { v: c.opened_by })}` : ''),
              c.outcome ? h('p', {}, h('strong', { text: `${t('cycle.outcome')}: ` }), c.outcome.text) : null,
              h('details', {},
                h('summary', { text: t('cycle.plan') }),
                h('p', { text: c.plan }),
                h('ol', { class: 'steps' }, (c.steps || []).map((s) => h('li', { class: `step ${s.kind}` },
                  h('span', { class: 'meta' }, fmtDay(s.src.date), ' · ', s.kind_label, s.by ? ` · ${s.by}` : ''), ' ',
                  s.description || s.summary || s.topic || '',
                  s.kind === 'reflection' && s.insights_by_kind ? tags(s.insights_by_kind.map((k) => `${k.label} ${k.count}`)) : null)))));
          })));
        }
      }
      return out;
    },

    role(d) {
      if (!d.roles || !d.roles.length) return empty('role.none');
      const out = [];
      for (const r of d.roles) {
        out.push(h('h2', { text: roleTitle(r) }));
        out.push(h('section', { class: 'card' },
          h('h3', { text: t('role.current') }),
          h('dl', { class: 'pairs' }, r.state.map((s) => [
            h('dt', { text: s.label }),
            h('dd', {}, Array.isArray(s.value) ? h('ul', {}, s.value.map((v) => h('li', { text: v }))) : String(s.value), ' ', srcRef(s.src)),
          ]))));
        out.push(h('h3', { text: t('role.timeline') }));
        out.push(h('ol', { class: 'timeline' }, r.timeline.slice().reverse().map((e) => h('li', { class: e.in_effect === false ? 'card future' : 'card' },
          h('div', { class: 'card-head' },
            h('time', { datetime: e.effective, text: fmtDay(e.effective) }),
            h('span', { class: 'badge', text: e.kind_label }),
            e.in_effect === false ? h('span', { class: 'status', text: t('role.notyet') }) : null),
          e.aspect ? h('p', {}, h('strong', { text: e.aspect })) : null,
          e.before ? h('p', {}, h('span', { class: 'muted', text: `${t('role.before')}: ` }), e.before) : null,
          e.after ? h('p', {}, h('span', { class: 'muted', text: `${t('role.after')}: ` }), e.after) : null,
          e.changes ? h('dl', { class: 'pairs' }, e.changes.map((c) => [h('dt', { text: c.label }), h('dd', {}, Array.isArray(c.value) ? h('ul', {}, c.value.map((v) => h('li', { text: v }))) : String(c.value))])) : null,
          e.rationale ? h('p', {}, h('span', { class: 'muted', text: `${t('role.why')}: ` }), e.rationale) : null,
          h('p', { class: 'meta' }, srcRef(e.src))))));
      }
      return out;
    },

    initiatives(d) {
      if (!d.initiatives || !d.initiatives.length) return empty('init.none');
      const order = { action: 0, bringing_together: 1, inventory: 2, anchoring: 3 };
      const ended = (i) => (i.status === 'stopped' || i.status === 'handed_over' ? 1 : 0);
      const list = d.initiatives.slice().sort((a, b) => ended(a) - ended(b) || (order[a.stage] ?? 9) - (order[b.stage] ?? 9) || a.name.localeCompare(b.name, 'nl'));
      return h('ul', { class: 'cards initiatives' }, list.map((i) => {
        const broker = i.broker_roles && i.broker_roles[i.broker_roles.length - 1];
        return h('li', { class: `card initiative ${i.status || ''}`, 'data-id': i.id },
          h('div', { class: 'card-head' },
            h('h2', { class: 'title', text: i.name }),
            h('span', { class: `status ${i.status || ''}`, text: i.status_label || i.stage_label })),
          h('p', { class: 'meta' }, [i.area_name, i.route_label, i.started ? t('init.started', { d: fmtDay(i.started.date) }) : null].filter(Boolean).join(' · ')),
          stagePicture(i),
          h('p', { class: 'counts' }, h('span', { class: 'notes-count', text: String(i.notes || 0) }), ' ', t('init.notes')),
          broker ? h('p', {}, h('span', { class: 'muted', text: `${t('init.broker')}: ` }), `${broker.role_label} (${broker.broker_label})`, broker.broker_leads ? h('span', { class: 'warn-tag', text: ` ⚠ ${t('init.leads')}` }) : null) : null,
          tags(i.health),
          h('p', { class: 'desc', text: i.description }),
          h('details', {},
            h('summary', { text: t('init.history') }),
            h('ol', { class: 'steps' },
              (i.stages || []).map((s) => h('li', {}, h('span', { class: 'meta' }, fmtDay(s.src.date), ' · '), h('strong', { text: s.label }), s.note ? ` — ${s.note}` : '')),
              (i.broker_roles || []).map((b) => h('li', {}, h('span', { class: 'meta' }, fmtDay(b.src.date), ' · '), `${b.role_label} (${b.broker_label})`, b.note ? ` — ${b.note}` : ''))),
            i.collectivised && i.collectivised.length ? h('p', {}, h('strong', { text: `${t('init.signals')}: ` }), i.collectivised.map((c) => c.rationale).join(' ')) : null,
            i.handed_over ? h('p', {}, h('strong', { text: t('init.handed', { v: i.handed_over.organisation_label }) }), i.handed_over.note ? ` — ${i.handed_over.note}` : '', ' ', srcRef(i.handed_over.src)) : null,
            i.stopped ? h('p', {}, h('strong', { text: `${t('init.stopped')}: ` }), i.stopped.reason, ' ', srcRef(i.stopped.src)) : null));
      }));
    },

    signals(d) {
      if (!d.total) return empty('sig.none');
      const max = Math.max(1, ...d.themes.map((x) => x.total));
      const into = new Map();
      for (const a of d.areas) for (const th of a.themes) for (const s of th.signals) for (const c of s.collectivised_into) {
        const k = th.theme;
        into.set(k, new Set([...(into.get(k) || []), c.initiative_name]));
      }
      const themes = d.themes.slice().sort((a, b) => b.total - a.total);
      return [
        h('p', { class: 'lead', text: t('sig.total', { n: d.total }) }),
        h('h2', { text: t('sig.themes') }),
        table([t('sig.theme'), t('sig.count'), t('sig.into')], themes.map((th) => h('tr', {},
          h('th', { scope: 'row', text: th.theme }),
          h('td', { class: 'num' }, h('span', { class: 'bar', style: `--w:${Math.round((th.total / max) * 100)}%` }), h('span', { text: String(th.total) })),
          h('td', {}, into.has(th.theme) ? Array.from(into.get(th.theme)).join(', ') : h('span', { class: 'muted', text: t('sig.notyet') })))), { stack: true }),
        h('h2', { text: t('sig.areas') }),
        d.areas.map((a) => h('section', { class: 'card' },
          h('h3', {}, a.area_name || a.area, ' ', h('span', { class: 'muted', text: `(${a.total})` })),
          h('ul', {}, a.themes.map((th) => h('li', {}, h('strong', { text: th.theme }), ` — ${th.total} · `,
            th.months.map((m) => `${fmtMonth(m.month)}: ${m.count}`).join(', ')))))),
      ];
    },

    lessons(d) {
      if (!d.counts || !d.counts.some((c) => c.count)) return empty('les.none');
      const item = (x) => h('li', {}, x.text, ' ', h('span', { class: 'meta' }, [x.area_name, x.level_label].filter(Boolean).join(' · '), x.sources && x.sources[0] ? ' · ' : '', srcRef(x.sources && x.sources[0])));
      return [
        h('h2', { text: t('les.counts') }),
        h('p', { class: 'tags' }, d.counts.map((c) => h('span', { class: `tag kind-${c.kind}`, text: `${c.label}: ${c.count}` }))),
        d.levels.map((l) => [
          h('h2', { text: l.level_label }),
          l.themes.map((th) => h('section', { class: 'card' },
            h('h3', { text: th.theme_label || th.theme }),
            th.kinds.map((k) => [h('h4', { class: `kind-${k.kind}`, text: k.label }), h('ul', {}, k.items.map(item))]))),
        ]),
        d.added_value && d.added_value.length ? [
          h('h2', { text: t('les.added') }),
          d.added_value.map((g) => h('section', { class: 'card' }, h('h3', { text: g.label }), h('ul', {}, g.items.map(item)))),
        ] : null,
      ];
    },

    network(d) {
      const nodes = d.nodes.slice().sort((a, b) => b.degree - a.degree || a.label.localeCompare(b.label, 'nl'));
      return [
        h('p', { class: 'lead', text: t('net.nodes', { n: d.nodes.length, m: d.edges.length }) }),
        h('h2', { text: t('net.people') }),
        table([t('net.name'), t('net.role'), t('net.area'), t('net.degree')], nodes.map((n) => h('tr', { 'data-id': n.id },
          h('th', { scope: 'row' }, n.label, n.left ? h('span', { class: 'muted', text: ` (${t('net.left', { d: fmtDay(n.left) })})` }) : null),
          h('td', { text: n.role_label }),
          h('td', { text: n.area_name || '' }),
          h('td', { class: 'num', text: String(n.degree) }))), { stack: true }),
        h('h2', { text: t('net.initiatives') }),
        h('ul', { class: 'cards' }, d.initiatives.map((i) => h('li', { class: 'card' },
          h('h3', { text: i.name }),
          h('ul', { class: 'plain people' }, i.participants.map((p) => h('li', {}, h('strong', { text: p.label }), ` · ${p.role_label}`, p.links_label && p.links_label.length ? h('span', { class: 'muted', text: ` · ${p.links_label.join(', ')}` }) : null)))))),
      ];
    },

    activity(d) {
      const seen = [...d.areas, ...d.brokers, ...(d.others || [])].flatMap((x) => x.months.map((m) => m.month));
      const axis = monthAxis(seen.length ? seen.reduce((a, b) => (a < b ? a : b)) : null, d.today ? d.today.slice(0, 7) : seen.reduce((a, b) => (a > b ? a : b), ''));
      const monthsOf = (ms, key) => {
        const by = new Map(ms.map((m) => [m.month, m[key] || 0]));
        return axis.map((m) => ({ m, n: by.get(m) || 0 }));
      };
      const areas = d.areas.slice().sort((a, b) => b.notes - a.notes);
      const lastMonth = (b) => b.months[b.months.length - 1] || {};
      return [
        d.today ? h('p', { class: 'lead', text: t('act.today', { d: fmtDay(d.today) }) }) : null,
        h('h2', { text: t('act.areas') }),
        table([t('act.area'), t('act.notes'), axis.length ? `${t('act.trend')} (${fmtMonth(axis[0])} – ${fmtMonth(axis[axis.length - 1])})` : t('act.trend')], areas.map((a) => h('tr', { 'data-area': a.area || '' },
          h('th', { scope: 'row', text: a.area_name || t('act.noarea') }),
          h('td', { class: 'num notes-count', text: String(a.notes) }),
          h('td', {}, sparkline(monthsOf(a.months, 'notes'), `${a.area_name || t('act.noarea')}: ${a.notes}`))))),
        h('h2', { text: t('act.brokers') }),
        h('ul', { class: 'cards brokers' }, d.brokers.map((b) => {
          const now = lastMonth(b);
          return h('li', { class: `card broker${(now.active_initiatives || 0) > 5 ? ' busy' : ''}`, 'data-participant': b.participant },
            h('div', { class: 'card-head' }, h('h3', { class: 'title', text: b.label }), h('span', { class: 'muted', text: b.area_name || '' })),
            h('p', { class: 'meta' }, t('act.broker.notes', { n: b.notes }), ' · ', t('act.broker.active', { n: now.active_initiatives || 0 }), ' · ', t('act.broker.leading', { n: now.leading || 0 })),
            h('p', { class: 'spark-line' }, h('span', { class: 'muted', text: `${t('act.active.trend')}: ` }), sparkline(monthsOf(b.months, 'active_initiatives'), t('act.active.trend'))),
            now.initiatives && now.initiatives.length ? tags(now.initiatives.map((i) => `${i.name} · ${i.role_label}${i.leads ? ' ⚠' : ''}`)) : null);
        })),
        d.others && d.others.length ? [
          h('h2', { text: t('act.others') }),
          table([t('net.name'), t('net.role'), t('act.notes')], d.others.map((o) => h('tr', { 'data-participant': o.participant },
            h('th', { scope: 'row', text: o.label }), h('td', { text: o.role_label }), h('td', { class: 'num', text: String(o.notes) })))),
        ] : null,
      ];
    },

    warnings(d) {
      const th = d.thresholds || {};
      return [
        h('p', { class: 'help', text: t('warn.thresholds', { a: th.lead_months_max, b: th.active_initiatives_max, c: th.reflection_gap_days_max }) }),
        d.warnings.length ? h('ul', { class: 'cards warnings' }, d.warnings.map((w) => h('li', { class: `card warning ${w.kind}` },
          h('div', { class: 'card-head' }, h('span', { class: 'badge warn', text: w.kind_label }), w.since ? h('span', { class: 'muted', text: t('warn.since', { d: fmtDay(w.since) }) }) : null),
          h('h3', { class: 'title', text: w.subject_label }),
          h('p', { text: w.reason }),
          h('p', { class: 'meta' }, srcRefs(w.sources))))) : empty('warn.none'),
      ];
    },
  };

  // A small picture of an initiative's stages: the four steps of the approach, then handed over
  // or stopped; what it went through is filled in, where it is now is marked.
  function stagePicture(i) {
    const reached = new Set((i.stages || []).map((s) => s.stage));
    const steps = VOCAB.stage.map(([id]) => ({ id, text: label('stage', id), done: reached.has(id), now: i.stage === id && !i.handed_over && !i.stopped }));
    if (i.handed_over) steps.push({ id: 'handed_over', text: t('init.stage.handed_over'), done: true, now: true });
    if (i.stopped) steps.push({ id: 'stopped', text: t('init.stage.stopped'), done: true, now: true });
    const now = steps.filter((s) => s.now).map((s) => s.text).pop() || i.stage_label || '';
    const path = steps.filter((s) => s.done).map((s) => s.text).join(' → ');
    return h('div', { class: 'stage-picture' },
      h('ol', { class: 'stages', 'aria-hidden': 'true' }, steps.map((s) => h('li', { class: `stage ${s.id}${s.done ? ' done' : ''}${s.now ? ' now' : ''}`, title: s.text }))),
      h('p', { class: 'stage-now' }, h('span', { class: 'muted', text: `${t('init.stage')}: ` }), h('strong', { text: now }), path && path !== now ? h('span', { class: 'muted', text: ` (${path})` }) : null));
  }

  // ---- the retrospective ---------------------------------------------------------------------

  function retroParams(format) {
    return query({ format, lang: S.lang, as_of: $('#retro-asof').value || undefined, area: $('#retro-area').value || undefined });
  }

  function openRetro() {
    const sel = $('#retro-area');
    areasFromProjections();
    const items = areaItems();
    if (!items.length && S.me && S.me.role !== 'viewer' && !S.scanned) {
      scanLog().then(() => openRetro()).catch(() => {});
    }
    options(sel, [{ items }], { placeholder: t('retro.allareas') });
    $('#retro-asof').max = todayValue();
    const key = retroParams('html');
    if ($('#retro-doc').dataset.key !== key) showRetro();
  }

  async function showRetro() {
    const status = $('#retro-status');
    const doc = $('#retro-doc');
    const key = retroParams('html');
    status.textContent = t('loading');
    status.classList.remove('error');
    $('#retro-stale').hidden = true;
    try {
      const res = await request(`/retrospective${key}`);
      const html = await res.text();
      renderRetro(doc, html);
      doc.dataset.key = key;
      status.textContent = '';
    } catch (e) {
      status.textContent = errorText(e);
      status.classList.add('error');
    }
  }

  function clearRetro() {
    const doc = $('#retro-doc');
    if (doc.shadowRoot) doc.shadowRoot.replaceChildren();
    doc.classList.remove('loaded');
    doc.dataset.key = '';
  }

  // The report is a whole HTML document with its own styles; it goes into a shadow root so that
  // its styles and ours do not mix, and it prints as part of the page.
  function renderRetro(host, html) {
    const parsed = new DOMParser().parseFromString(html, 'text/html');
    for (const el of parsed.querySelectorAll('script, iframe, object, embed')) el.remove();
    for (const el of parsed.querySelectorAll('*')) {
      for (const a of Array.from(el.attributes)) if (/^on/i.test(a.name) || /^\s*javascript:/i.test(a.value)) el.removeAttribute(a.name);
    }
    const root = host.shadowRoot || host.attachShadow({ mode: 'open' });
    const styles = $$('style', parsed).map((s) => s.textContent.replace(/(^|[\s}])body(\s*[{,])/g, '$1.retro-body$2').replace(/(^|[\s}])\*(\s*\{)/g, '$1.retro-body, .retro-body *$2')).join('\n');
    const body = h('div', { class: 'retro-body' });
    body.append(...Array.from(parsed.body.childNodes).map((n) => document.importNode(n, true)));
    const style = h('style', {});
    style.textContent = `${styles}\n:host { display: block; } .retro-body { max-width: none; padding: 0; margin: 0; }`;
    root.replaceChildren(style, body);
    host.classList.add('loaded');
    if (!root.__clicks) {
      root.__clicks = true;
      // Source links point at #e<position> inside the report: scroll there, leave the URL alone.
      root.addEventListener('click', (ev) => {
        const a = ev.target.closest && ev.target.closest('a[href^="#"]');
        if (!a) return;
        ev.preventDefault();
        const target = root.getElementById(a.getAttribute('href').slice(1));
        if (target) {
          target.scrollIntoView({ behavior: 'smooth', block: 'center' });
          target.classList.add('flash');
          setTimeout(() => target.classList.remove('flash'), 1500);
        }
      });
    }
  }

  async function downloadRetro(format) {
    const status = $('#retro-status');
    status.textContent = t('loading');
    status.classList.remove('error');
    try {
      const res = await request(`/retrospective${retroParams(format)}`);
      const blob = await res.blob();
      const asOf = $('#retro-asof').value || todayValue();
      const area = ($('#retro-area').value || '').replace(/^area:/, '');
      const name = `terugblik${area ? `-${area}` : ''}-${asOf}.${format === 'md' ? 'md' : 'html'}`;
      const typed = new Blob([blob], { type: format === 'md' ? 'text/markdown;charset=utf-8' : 'text/html;charset=utf-8' });
      const url = URL.createObjectURL(typed);
      const a = h('a', { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      status.textContent = t('retro.downloaded', { f: name });
    } catch (e) {
      status.textContent = errorText(e);
      status.classList.add('error');
    }
  }

  // ---- admin ---------------------------------------------------------------------------------

  async function verify() {
    const out = $('#admin-result');
    out.textContent = t('loading');
    try {
      const v = await getJson('/verify');
      out.textContent = v.ok ? t('admin.ok', { n: v.events, p: v.head.position }) : t('admin.bad', { p: v.first_bad });
      out.className = v.ok ? 'ok' : 'error';
    } catch (e) {
      out.textContent = errorText(e);
      out.className = 'error';
    }
  }

  // ---- start ---------------------------------------------------------------------------------

  function wire() {
    $('#signin-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const v = $('#token-input').value.trim();
      if (!v) {
        const err = $('#signin-error');
        err.textContent = t('signin.empty');
        err.hidden = false;
        return;
      }
      $('#token-input').value = '';
      signIn(v);
    });
    $('#signout').addEventListener('click', () => signOut(t('signedout')));
    for (const b of $$('.lang button')) b.addEventListener('click', () => setLang(b.dataset.lang));
    $('#outbox-button').addEventListener('click', () => {
      if (S.me && allowed(VIEWS[0])) location.hash = '#/note';
      setTimeout(() => $('#outbox-card').scrollIntoView({ block: 'start' }), 50);
    });
    $('#outbox-retry').addEventListener('click', () => {
      for (const x of outbox.mine()) if (x.rejected) outbox.update(x.event.id, { rejected: false, error: null });
      flushOutbox();
    });
    $('#note-form').addEventListener('submit', onNoteSubmit);
    $('#note-when').addEventListener('input', () => { noteWhenTouched = true; });
    $('#note-when').addEventListener('focus', () => { $('#note-when').max = localInputValue(new Date(Date.now() + 60000)); });
    $('#note-codes-list').addEventListener('change', () => countChecked($('#note-codes-list'), $('#note-codes-count')));
    $('#note-initiative').addEventListener('change', () => {
      // An initiative belongs to an area: fill it in when none was chosen.
      const ini = S.cache.initiatives && S.cache.initiatives.data.initiatives.find((i) => i.id === $('#note-initiative').value);
      if (ini && ini.area && !$('#note-area').value && $$('#note-area option').some((o) => o.value === ini.area)) $('#note-area').value = ini.area;
    });
    $('#refl-form').addEventListener('submit', onReflectionSubmit);
    $('#refl-add-insight').addEventListener('click', () => { const li = addInsight(); $('select', li).focus(); });
    $('#refl-cycle').addEventListener('change', renderObservationChoices);
    $('#refl-participants').addEventListener('change', () => countChecked($('#refl-participants'), $('#refl-participants-count')));
    $('#refl-observations').addEventListener('change', () => countChecked($('#refl-observations'), $('#refl-obs-count')));
    $('#refl-participants-filter').addEventListener('input', (ev) => {
      const q = ev.target.value.trim().toLowerCase();
      for (const l of $$('#refl-participants label')) l.hidden = q && !l.dataset.filter.includes(q);
    });
    $('#method-form').addEventListener('submit', onMethodSubmit);
    $('#method-reflections').addEventListener('change', () => countChecked($('#method-reflections'), $('#method-refl-count')));
    $('#rolechange-form').addEventListener('submit', onRoleChangeSubmit);
    $('#rolechange-role').addEventListener('change', renderRoleCurrent);
    $('#retro-show').addEventListener('click', showRetro);
    $('#retro-refresh').addEventListener('click', showRetro);
    $('#retro-asof').addEventListener('change', showRetro);
    $('#retro-area').addEventListener('change', showRetro);
    $('#retro-download-html').addEventListener('click', () => downloadRetro('html'));
    $('#retro-download-md').addEventListener('click', () => downloadRetro('md'));
    $('#retro-print').addEventListener('click', () => window.print());
    $('#admin-verify').addEventListener('click', verify);
    window.addEventListener('hashchange', () => {
      if (takeTokenFromUrl()) return;
      route();
    });
    window.addEventListener('online', () => setOnline(true));
    window.addEventListener('offline', () => setOnline(false));
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && S.me) {
        flushOutbox();
        if (!S.live && S.me.role !== 'viewer') restartLive();
      }
    });
    setInterval(() => { if (S.me && outbox.mine().some((x) => !x.rejected)) flushOutbox(); }, RETRY_INTERVAL_MS);
  }

  // A sign-in link carries the token in the fragment (#token=…), which never reaches a server
  // log. It is moved to sessionStorage and wiped from the address bar and the history.
  function takeTokenFromUrl() {
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (!m) return false;
    const token = decodeURIComponent(m[1]);
    history.replaceState(null, '', `${location.pathname}${location.search}`);
    if (S.me) signOut();
    signIn(token);
    return true;
  }

  function registerServiceWorker() {
    // Keeps the page's three files so that it opens without a connection, e.g. after a phone
    // browser dropped the tab between two visits. Only in secure contexts (https, localhost).
    if ('serviceWorker' in navigator && window.isSecureContext) {
      navigator.serviceWorker.register('/sw.js').catch(() => {});
    }
  }

  function boot() {
    applyLang();
    wire();
    registerServiceWorker();
    if (takeTokenFromUrl()) return;
    const token = sessionStorage.getItem(KEY.token);
    if (token) signIn(token, { quiet: true });
    else showSignIn();
  }

  // For the browser tests and for debugging from the console; holds no secrets.
  window.parlog = {
    outbox: () => outbox.all().map((x) => ({ id: x.event.id, rejected: !!x.rejected })),
    state: () => ({ role: S.me && S.me.role, participant: S.me && S.me.participant, view: S.view, live: S.live, online: S.online, head: S.head, feedPos: S.feedPos }),
    words: (lang) => T[lang],
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
