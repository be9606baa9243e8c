// The accessibility statement (toegankelijkheidsverklaring), in the form Dutch public bodies use:
// the status, what was tested and how, what is known not to work, and whom to tell. Open to
// anyone, signed in or not (#/toegankelijkheid, linked from the footer of every view). Dutch is
// the default; the language buttons switch it like the rest of the page.
//
// Keep it true: when a test named here changes, or a limitation is fixed, change the text and
// the date.
import { S } from '../state.js';
import { $, h, append } from '../dom.js';

const UPDATED = { nl: '7 december 2026', en: '7 December 2026' };

// Each section: a heading and its blocks; a block is a paragraph (a string) or a list ({ list }).
const TEXT = {
  nl: {
    intro: 'Wij willen dat iedereen parlog kan gebruiken: sociaal makelaars die op hun telefoon een veldnotitie vastleggen, onderzoekers, lezers en beheerders, ook wie een schermlezer, vergroting, spraakbesturing of alleen een toetsenbord gebruikt. Deze verklaring gaat over de webinterface van parlog. Wij volgen daarbij de eisen voor websites en apps van Nederlandse overheidsorganisaties: WCAG 2.1 op niveau A en AA (EN 301 549), en daarnaast de nieuwe succescriteria van WCAG 2.2 op niveau AA.',
    statusLabel: 'Nalevingsstatus',
    status: 'C — eerste maatregelen genomen',
    statusWhy: 'Wij hebben de webinterface zelf onderzocht, automatisch en met het toetsenbord (zie hieronder), en alle gevonden problemen opgelost. Een volledig onderzoek door een onafhankelijke deskundige volgens WCAG-EM is nog niet gedaan; zolang dat er niet is, claimen wij niet dat parlog volledig voldoet.',
    sections: [
      ['Wat wij hebben getest en hoe', [
        { list: [
          'Automatisch, bij elke wijziging van parlog: axe-core met alle regels voor WCAG 2.0, 2.1 en 2.2 op niveau A en AA en de regels voor goede praktijk, in elk onderdeel, voor elke rol (sociaal makelaar, onderzoeker, lezer, beheerder), op een telefoonscherm (390 × 844) en een laptopscherm (1280 × 860), in Chromium. De uitkomst moet nul bevindingen zijn.',
          'Met alleen het toetsenbord: een veldnotitie vastleggen en versturen, en elk onderdeel bereiken. Bij elke stap (Tab en Shift+Tab) controleert de test dat het element met de focus op het scherm staat en niet onder de vaste balk bovenin valt.',
          'De focus: na het aanmelden, het kiezen van een onderzoek of een ander onderdeel gaat de focus naar de kop van wat getoond wordt; na het opslaan van een formulier naar het eerste veld, met een melding die een schermlezer voorleest.',
          'Contrast van de focusrand: minstens 3:1 tegen elke kleur ernaast (berekend, zie de stijlbladen).',
          'Tekeningen passen zonder zijwaarts schuiven op een telefoonscherm.',
        ] },
        'Niet getest: het gebruik met schermlezers (NVDA, JAWS, VoiceOver, TalkBack) en spraakbesturing door mensen die ze dagelijks gebruiken, andere browsers dan Chromium, en de gedownloade rapporten (HTML en Markdown) los van de webinterface.',
      ]],
      ['Bekende beperkingen', [
        { list: [
          'Tekeningen (de fasen van initiatieven, de functie door de tijd, signalen per jaar, de spiraal van onderzoekscycli) zijn plaatjes met een korte beschrijving. Wat erin staat, staat ook als tekst of tabel in hetzelfde onderdeel; de tekeningen zelf zijn niet in detail voor een schermlezer beschreven.',
          'De terugblik is een lang document. Bronverwijzingen ([#123 …]) springen naar de lijst met bronnen onderaan; er is geen knop terug naar waar je was (gebruik Shift+Tab of de terug-functie van je schermlezer).',
          'Meldingen onderin het scherm verdwijnen na enkele seconden. De uitkomst van het opslaan van een formulier blijft wel staan, bovenaan het formulier.',
          'De interface is in het Nederlands en het Engels. Teksten die deelnemers zelf schrijven (notities, namen van initiatieven) worden getoond zoals ze zijn ingevoerd.',
        ] },
      ]],
      ['Feedback en contact', [
        'Kun je iets niet gebruiken, of heb je een vraag of opmerking over de toegankelijkheid? Laat het weten aan de beheerder van je onderzoek: de persoon of organisatie die je de aanmeldcode gaf. Vermeld om welk onderdeel het gaat, wat je probeerde te doen, en welke browser en hulpmiddelen je gebruikt.',
        'De organisatie die parlog voor een onderzoek gebruikt, is verantwoordelijk voor de toegankelijkheid ervan en voor het beantwoorden van je melding. Je krijgt binnen 5 werkdagen een ontvangstbevestiging en binnen 3 weken een inhoudelijke reactie.',
      ]],
      ['Handhavingsprocedure', [
        'Ben je niet tevreden met hoe je melding is behandeld, of kreeg je niet op tijd antwoord? Dan kun je een klacht indienen bij de klachtenprocedure van die organisatie. Bij een overheidsorganisatie kun je daarna kosteloos terecht bij de Nationale ombudsman.',
      ]],
    ],
    updated: 'Deze verklaring is opgesteld op {d} en hoort bij deze versie van parlog.',
    back: 'Terug',
  },
  en: {
    intro: 'We want everyone to be able to use parlog: community brokers recording a field note on their phone, researchers, readers and administrators, including people who use a screen reader, magnification, voice control or only a keyboard. This statement is about parlog\'s web interface. We follow the requirements for websites and apps of Dutch public bodies: WCAG 2.1 at level A and AA (EN 301 549), and in addition the new success criteria of WCAG 2.2 at level AA.',
    statusLabel: 'Compliance status',
    status: 'C — first measures taken',
    statusWhy: 'We examined the web interface ourselves, automatically and with the keyboard (see below), and fixed every problem found. A full evaluation by an independent expert following WCAG-EM has not been done yet; until it has, we do not claim that parlog fully complies.',
    sections: [
      ['What we tested and how', [
        { list: [
          'Automatically, with every change to parlog: axe-core with all rules for WCAG 2.0, 2.1 and 2.2 at level A and AA and the best-practice rules, in every section, for every role (community broker, researcher, reader, administrator), on a phone screen (390 × 844) and a laptop screen (1280 × 860), in Chromium. The result must be zero findings.',
          'With only the keyboard: recording and sending a field note, and reaching every section. At every step (Tab and Shift+Tab) the test checks that the focused element is on the screen and not under the sticky bar at the top.',
          'The focus: after signing in, choosing a study or another section the focus goes to the heading of what is shown; after saving a form to its first field, with a message that a screen reader reads out.',
          'Contrast of the focus ring: at least 3:1 against every colour next to it (computed, see the style sheet).',
          'Pictures fit a phone screen without sideways scrolling.',
        ] },
        'Not tested: use with screen readers (NVDA, JAWS, VoiceOver, TalkBack) and voice control by people who use them every day, browsers other than Chromium, and the downloaded reports (HTML and Markdown) apart from the web interface.',
      ]],
      ['Known limitations', [
        { list: [
          'Pictures (the stages of initiatives, the role over time, signals per year, the spiral of research cycles) are images with a short description. What they show is also in text or a table in the same section; the pictures themselves are not described in detail for a screen reader.',
          'The retrospective is a long document. Source references ([#123 …]) jump to the list of sources at the end; there is no button back to where you were (use Shift+Tab or your screen reader\'s back function).',
          'Messages at the bottom of the screen disappear after a few seconds. The result of saving a form stays, at the top of the form.',
          'The interface is in Dutch and English. Texts that participants write themselves (notes, names of initiatives) are shown as they were entered.',
        ] },
      ]],
      ['Feedback and contact', [
        'Is there something you cannot use, or do you have a question or remark about accessibility? Tell the administrator of your study: the person or organisation that gave you your sign-in code. Say which section it is about, what you tried to do, and which browser and assistive technology you use.',
        'The organisation that uses parlog for a study is responsible for its accessibility and for answering you. You get an acknowledgement within 5 working days and an answer within 3 weeks.',
      ]],
      ['Enforcement procedure', [
        'Not satisfied with how your report was handled, or no answer in time? Use that organisation\'s complaints procedure. For a public body you can then turn to the National Ombudsman, free of charge.',
      ]],
    ],
    updated: 'This statement was drawn up on {d} and belongs to this version of parlog.',
    back: 'Back',
  },
};

export function renderStatement() {
  const x = TEXT[S.lang] || TEXT.nl;
  const block = (b) => (typeof b === 'string' ? h('p', { text: b }) : h('ul', {}, b.list.map((li) => h('li', { text: li }))));
  const body = $('#statement-body');
  body.replaceChildren();
  append(body, [
    h('p', { class: 'lead', text: x.intro }),
    h('h2', { text: x.statusLabel }),
    h('p', {}, h('span', { class: 'status-badge', text: x.status })),
    h('p', { text: x.statusWhy }),
    x.sections.map(([title, blocks]) => [h('h2', { text: title }), blocks.map(block)]),
    h('p', { class: 'help', text: x.updated.replace('{d}', UPDATED[S.lang] || UPDATED.nl) }),
    h('p', {}, h('a', { href: '#/', text: x.back })),
  ]);
}
