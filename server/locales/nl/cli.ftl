# De opdrachtregel van parlog in het Nederlands. Het Engelse bestand (../en/cli.ftl) heeft dezelfde
# berichten in dezelfde volgorde; een test houdt ze bij elkaar en bij de broncode
# (server/src/cli/lang.rs).

## Opdrachten en opties: cmd-<pad van de opdracht>, de lange hulp als .long, elke optie bij haar id.

cmd-parlog = Een event-sourced logboek voor participatief actieonderzoek, waarin elke wijziging aantoonbaar is
    .data = De datamap.
    .store = Waar de gebeurtenissen van de studies staan: de ingebouwde opslag in de datamap (standaard; een map die hier staat, is de datamap), of een PostgreSQL-database zoals postgres://parlog@db.example/parlog, die dan de gebeurtenissen van elke studie bewaart, terwijl de datamap de tokens, het register van studies en de sleutels van de betrokkenen per studie houdt.
    .master_key_file = Het bestand met de hoofdsleutel die de sleutels van de betrokkenen omhult (standaard DATA.master-key naast de datamap, of een wachtzin in PARLOG_MASTER_PASSPHRASE).
    .study = De studie waarop een opdracht werkt (`parlog study list` toont ze); alleen nodig als de datamap er meer dan één heeft.
    .lang = De taal van wat parlog zegt en van de overzichten en rapporten die het toont: nl of en (standaard Engels als de taalinstelling, LC_ALL, LC_MESSAGES of LANG, Engels is, anders Nederlands). JSON is Nederlands, tenzij --lang iets anders zegt.
cmd-help = Toon deze hulp of de hulp bij de genoemde opdracht
    .subcommand = De opdracht.
arg-help = Toon de hulp
arg-version = Toon de versie
cmd-init = Maak de datamap (doet niets als die er al is); voeg studies toe met `parlog study create`.
cmd-study = Maak, toon of archiveer de studies van de datamap.
cmd-study-create = Maak een studie: met een eigen logboek, hashketen, sleutels van betrokkenen en overzichten, in studies/SLUG/ van de datamap (gemaakt als die er nog niet is).
    .slug = 1 tot 40 kleine letters, cijfers en enkele streepjes, zoals `delft` of `den-haag-2025`; de naam van de studie in opdrachten en adressen, voorgoed.
    .name = De naam van de studie, zoals mensen die zien.
    .municipality = De gemeente waarin ze plaatsvindt.
cmd-study-list = Toon de studies: slug, naam, gemeente, stand en waar de bestanden staan.
cmd-study-archive = Archiveer een studie: ze blijft te lezen, te controleren en te exporteren, en neemt geen gebeurtenissen meer aan.
    .slug = De slug van de studie.
cmd-append = Voeg gebeurtenissen toe uit FILE (of van de standaardinvoer met `-`): NDJSON of een JSON-lijst, in één ondeelbare partij. Toont de positie en het id van elke gebeurtenis.
    .file = NDJSON of een JSON-lijst van gebeurtenissen; `-` voor de standaardinvoer.
    .author = De auteur van gebeurtenissen die er zelf geen noemen.
    .json = Toon het resultaat als JSON.
cmd-log = Toon gebeurtenissen uit het logboek: positie, id, wanneer, stroom, soort en auteur.
    .from = De eerste positie die getoond wordt.
    .limit = Hoeveel gebeurtenissen ten hoogste.
    .stream = Alleen deze stroom, zoals initiative:papierwinkel.
    .kind = Alleen deze soort, zoals ObservationRecorded.
    .json = Eén JSON-object per regel (de vorm van de API).
cmd-show = Toon één gebeurtenis, bij haar id of haar positie, met haar verzegelde deel als dat te openen is.
    .event = Het id van een gebeurtenis, of een positie in het logboek (`parlog log` toont beide).
    .json = De JSON-vorm van de API, met het verzegelde deel geopend.
cmd-notes = Toon de veldnotities, reflecties en memo's van de studie, de nieuwste eerst: zoek op woorden (ook in verzegelde tekst) en filter; een pagina tegelijk.
    .search = Woorden die moeten voorkomen (hoofdletters en accenten doen er niet toe; het laatste woord mag het begin van een woord zijn).
    .area = Alleen notities in dit gebied (en de gebieden eronder), zoals area:noord.
    .initiative = Alleen notities over dit initiatief, zoals initiative:buurtkamer.
    .cycle = Alleen notities van deze cyclus.
    .author = Alleen notities van deze deelnemer.
    .code = Alleen notities met deze code, als geheel of in een fragment (een code die erin is opgegaan telt mee).
    .health = Alleen veldnotities met deze dimensie van Positieve Gezondheid, zoals mental_wellbeing.
    .kind = Alleen deze soort: observation, reflection of memo (mag vaker, of met komma's).
    .from = Alleen notities over deze dag of later (JJJJ-MM-DD).
    .to = Alleen notities over deze dag of eerder (JJJJ-MM-DD).
    .retracted = Ingetrokken notities: exclude (standaard), include of only.
    .limit = Hoeveel notities ten hoogste (standaard 50, hoogstens 200).
    .before = Alleen notities vóór deze positie: de volgende pagina (de voetregel noemt haar).
    .json = Het antwoord van de API als JSON.
    .format = csv: als CSV voor een spreadsheet (RFC 4180, UTF-8).
cmd-verify = Controleer de hele datamap zonder iets te veranderen: de hashketen, de commits, de indexen, beide kopieën van het sleutelbestand en elk verzegeld deel. Eindigt met code 1 en noemt elke vondst.
cmd-repair = Herstel wat te herstellen is zonder een bevestigde gebeurtenis te verliezen: een beschadigde kopie van het sleutelbestand uit de andere, beschadigde indexen opnieuw opgebouwd, een beschadigde laatste groep uit het logboek gehaald. Elke byte die eruit gaat, blijft bewaard in de quarantainemap. Zegt eerst wat het gaat veranderen, en vraagt het.
    .yes = Doe het zonder te vragen (voor scripts).
cmd-keys = De hoofdsleutel die de sleutels van de betrokkenen omhult.
cmd-keys-rotate-master = Omhul elke sleutel van een betrokkene met een nieuwe hoofdsleutel (beide kopieën van het sleutelbestand worden herschreven). Geef de nieuwe sleutel als een bestand dat nog niet bestaat (er wordt een nieuwe willekeurige sleutel in gezet) of als een wachtzin in een omgevingsvariabele. Bewaar de nieuwe sleutel waar de oude gezocht werd, of noem hem voortaan.
    .new_key_file = Een nieuw bestand voor de hoofdsleutel.
    .new_passphrase_env = De naam van een omgevingsvariabele met de nieuwe wachtzin.
cmd-export = Schrijf het logboek als NDJSON, met volledige enveloppen, hashes en verzegelde bytes.
    .out = Het bestand; zonder deze optie de standaarduitvoer.
    .with_keys = Schrijf ook de sleutels van de betrokkenen, zodat verzegelde gegevens na een import te lezen zijn. Zo'n export bevat persoonsgegevens.
    .format = parlog: parlogs eigen vorm voor een reservekopie (NDJSON, elke gebeurtenis; de standaard). qdpx: een REFI-QDA-project voor ATLAS.ti, MAXQDA, NVivo of QualCoder (codes, notities als tekstbronnen met hun gecodeerde fragmenten, memo's, deelnemers als gebruikers, gebieden en initiatieven als cases). qdc: alleen het codeboek (REFI-QDA).
cmd-import = Importeer een export. Controleert de keten; hetzelfde bestand nog eens importeren verandert niets.
    .file = De export, zoals `parlog export` die schrijft.
    .format = parlog: een export van parlog (de standaard). qdpx: een REFI-QDA-project dat parlog exporteerde en dat in een ander programma is gecodeerd: nieuwe codes, coderingen en memo's komen erbij als gebeurtenissen van de onderzoeker (vergeleken op GUID: een ongewijzigd bestand voegt niets toe). Laat eerst zien wat erbij komt, en vraagt het.
    .author = Met --format qdpx: de onderzoeker van wie de nieuwe codes, coderingen en memo's zijn (een geregistreerde deelnemer met de rol researcher).
    .yes = Met --format qdpx: zonder te vragen toevoegen (voor scripts).
cmd-forget = Vernietig de sleutel en de verzegelde gegevens van een betrokkene, voorgoed; het logboek legt vast wie erom vroeg en wanneer. Vraagt het eerst, op een terminal.
    .subject = De betrokkene, zoals resident:r-017.
    .by = De deelnemer die erom vraagt.
    .reason = Waarom, in een zin (blijft in het logboek).
    .yes = Doe het zonder te vragen (voor scripts).
cmd-demo = Laad het demologboek (het verhaal van Gouda) in de datamap, of een eigen bestand in dezelfde vorm (een JSON-lijst van gebeurtenissen die `@label`-ids mogen gebruiken).
    .file = Een JSON-bestand in de vorm van de demo, in plaats van de ingebouwde demo.
cmd-project = Toon een overzicht, bij naam, als tekst, JSON of CSV (een onbekende naam geeft de lijst van overzichten).
    .name = Het overzicht, zoals cycles, role, initiatives, signals, lessons, network, activity, warnings of codebook.
    .as_of = Alleen wat op of vóór deze dag gebeurde (naar wanneer het in het veld gebeurde), zoals 2017-12-31.
    .recorded = Met --as-of: ga uit van wanneer gebeurtenissen zijn vastgelegd (de klok van de server).
    .as_of_position = Alleen het logboek tot en met deze positie.
    .since = Voor de rol: toon wat er sinds deze dag veranderde.
    .json = Het overzicht als JSON.
    .format = json, of csv: de hoofdtabel van het overzicht voor spreadsheets (RFC 4180, UTF-8, formules onschadelijk gemaakt); Nederlandse kolomnamen tenzij --lang iets anders zegt.
    .rebuild = Speel het hele logboek opnieuw af in plaats van te beginnen bij het checkpoint.
    .lead_months_max = Waarschuwingen: een makelaar die een initiatief zoveel maanden na de start nog trekt.
    .active_initiatives_max = Waarschuwingen: meer lopende initiatieven per makelaar dan dit.
    .reflection_gap_days_max = Waarschuwingen: meer dagen zonder reflectie in een team dan dit.
cmd-compare = Vergelijk studies naast elkaar: de rol, initiatieven, methodewijzigingen en lessen per thema, elke bewering met haar studie en gebeurtenissen als bron (HTML, Markdown of JSON).
    .studies = De studies, bij slug, gescheiden door komma's, in de volgorde van de kolommen (ten hoogste 16).
    .format = html (standaard), md of json.
    .out = Schrijf naar dit bestand in plaats van de standaarduitvoer.
cmd-retrospective = Schrijf de terugblik in de vorm van de handreiking (Markdown, één HTML-bestand dat alles bevat, of een OpenDocument-tekst met de grafieken die LibreOffice en Word openen en bewerken).
    .format = md, html of odt (odt vraagt --out).
    .as_of = Alleen wat op of vóór deze dag gebeurde (naar wanneer het in het veld gebeurde), zoals 2017-12-31.
    .recorded = Met --as-of: ga uit van wanneer gebeurtenissen zijn vastgelegd (de klok van de server).
    .as_of_position = Alleen het logboek tot en met deze positie.
    .area = Alleen dit gebied (en de gebieden eronder), zoals area:noord.
    .out = Schrijf naar dit bestand in plaats van de standaarduitvoer.
cmd-serve = Start de HTTP-server met de webinterface.
    .addr = Het adres waarop de server luistert; standaard alleen deze computer.
    .demo = Laad het demologboek in een lege datamap, en toon aanmeldlinks voor demogebruikers (één keer gemaakt; een latere start zegt hoe je nieuwe maakt).
    .idle_close_secs = Sluit de opslag en de overzichten van een studie na zoveel seconden zonder verzoek (het checkpoint wordt eerst bewaard); het volgende verzoek opent haar weer.
    .open_studies_max = Hoeveel studies tegelijk open zijn, ten hoogste; daarboven wordt de langst niet gebruikte gesloten.
cmd-token = Maak, toon of trek API-tokens in, en geef ze rollen in studies.
cmd-token-create = Maak een token; het wordt één keer getoond en gehasht bewaard. Met --role heeft het die rol in de studie die --study kiest (of de enige), voor een deelnemer die het logboek van die studie registreert; voeg rollen in andere studies toe met `grant`.
    .participant = Het id van de deelnemer als wie het token handelt (de auteur van wat het toevoegt).
    .role = makelaar, researcher, viewer of admin (de beheerder van de studie: controleren, vergeten, haar tokens).
    .institute_admin = Het token beheert studies in de hele datamap (maken, archiveren, rollen geven); het leest de gegevens van een studie alleen als het er ook een rol heeft.
cmd-token-grant = Geef een token een rol in de studie die --study kiest (of de enige), in plaats van de rol die het daar had.
    .id = Het id van het token (`parlog token list` toont ze).
    .role = makelaar, researcher, viewer of admin.
cmd-token-ungrant = Neem een token zijn rol in de studie die --study kiest (of de enige) af.
    .id = Het id van het token (`parlog token list` toont ze).
cmd-token-list = Toon de tokens (zonder hun geheim), met hun rollen per studie.
cmd-token-revoke = Trek een token in, bij id: het bereikt geen enkele studie meer.
    .id = Het id van het token (`parlog token list` toont ze).
cmd-stats = Aantallen gebeurtenissen, stromen en soorten.
    .json = De aantallen als JSON.
cmd-migrate = Kopieer studies met hun ketens van de ene opslag naar de andere (de ingebouwde opslag van een datamap of een PostgreSQL-database, beide kanten op), en controleer de kop aan beide kanten; overschrijft nooit.
    .long =
        Kopieer studies met hun ketens van de ene opslag naar de andere (de ingebouwde opslag van een datamap of een PostgreSQL-database, beide kanten op), en controleer de kop aan beide kanten; overschrijft nooit.

        Elke gebeurtenis houdt haar id, tijden, positie en hash; de sleutels van de betrokkenen gaan mee naar de sleutelbestanden van het doel, omhuld met de hoofdsleutel van het doel. Daarna moet de kop (positie en hash) van elke studie aan beide kanten gelijk zijn. De bron verandert niet.

        Waar de sleutels heen gaan: de map studies/<slug>/ van een studie bevat in de ingebouwde opslag haar logboek en bij PostgreSQL haar sleutels, dus bron en doel hebben elk een eigen datamap nodig. Naar PostgreSQL: `parlog migrate --from ./parlog-data --to postgres://… --to-data ./parlog-pg`, en werk daarna met `parlog --data ./parlog-pg --store postgres://…`. Terug: `parlog migrate --from postgres://… --from-data ./parlog-pg --to ./parlog-back`.

        Elke studie (alle van de bron, of die --study noemt) wordt eerst bekeken: een studie in het doel die al gebeurtenissen heeft, wordt geweigerd (code 2) en er wordt niets geschreven. Een studie komt als laatste in het register van het doel, als haar kopie gecontroleerd is; een kopie die halverwege stopte, pakt dezelfde opdracht weer op. Tokens worden niet gekopieerd: geef mensen toegang tot het doel met `parlog token create`.
    .from = Waar de studies zijn: een datamap (haar ingebouwde opslag), of een postgres://-adres (dan noemt --from-data de datamap met het register en de sleutels).
    .to = Waar ze heen gaan: een datamap (gemaakt als die er nog niet is), of een postgres://-adres (dan noemt --to-data de datamap die het register en de sleutels krijgt).
    .from_data = Bij een postgres:// --from: de datamap van die studies (hun register en sleutelmappen studies/<slug>/); standaard --data.
    .to_data = Bij een postgres:// --to: de datamap die de registervermeldingen en sleutelmappen studies/<slug>/ krijgt (gemaakt als die er nog niet is), een andere dan die van de bron; standaard --data.

## De koppen, aantekeningen en fouten van clap

help-usage = Gebruik:
help-options-value = [OPTIES]
help-command-value = OPDRACHT
help-commands = Opdrachten
help-options = Opties
help-arguments = Argumenten
help-env = [omgeving: { $name }]
help-default = [standaard: { $value }]
help-values = [mogelijk: { $values }]
clap-value-missing = '{ $arg }' heeft een waarde nodig, maar er is er geen gegeven
clap-value-invalid = ongeldige waarde '{ $value }' voor '{ $arg }'
clap-values = {" "}(mogelijk: { $values })
clap-value-refused = ongeldige waarde '{ $value }' voor '{ $arg }': { $why }
clap-unknown-argument = onverwacht argument '{ $arg }'
clap-unknown-command = onbekende opdracht '{ $command }'
clap-missing = deze verplichte argumenten ontbreken: { $args }
clap-missing-command = '{ $command }' heeft een opdracht nodig, een van: { $commands }
clap-conflict = het argument '{ $arg }' kan niet samen met '{ $other }'
clap-repeated = het argument '{ $arg }' mag maar één keer
clap-too-many = onverwachte waarde '{ $value }' voor '{ $arg }'; er werden er niet meer verwacht
clap-no-equals = '{ $arg }' wil zijn waarde na een isgelijkteken
clap-did-you-mean = tip: bedoel je { $similar }?
clap-more = Meer informatie: probeer '{ $help }'.

## Fouten en wat je dan doet

error-prefix = fout:
list-none = geen
store-locked = { $what } is in gebruik door een ander parlog-proces; stop dat, of gebruik een andere --data-map
store-not-initialised = geen parlog-datamap in { $folder }; voer eerst `parlog init` uit (of `parlog --data MAP init`)
store-read-only = deze studie is gelezen zonder haar te openen, omdat een ander proces haar vasthoudt; er is niets geschreven
store-folder-conflict = --store noemt de map { $store } en --data (of PARLOG_DATA) de map { $data }: een map bij --store is de datamap; geef er één
hint-corrupt = ; voer `parlog verify` uit om elke beschadigde plek te noemen
hint-damaged-last-group = ; voer `parlog repair` uit om de beschadigde bytes naar quarantaine te verplaatsen
hint-keys-damaged = ; voer `parlog repair` uit om het te herstellen uit de andere kopie
hint-postgres = ; controleer of PostgreSQL draait en of --store (PARLOG_STORE) de juiste database noemt, en probeer het opnieuw (een toevoeging die opnieuw wordt gestuurd met dezelfde ids van gebeurtenissen, wordt één keer bewaard)
hint-use-forget = ; gebruik `parlog forget` om een betrokkene te vergeten
studies-not-initialised = geen parlog-datamap in { $folder }; voer eerst `parlog init` uit (of `parlog --data MAP init`)
studies-not-empty = { $folder } is niet leeg en is geen parlog-datamap; kies een lege of nieuwe map
studies-none = de datamap { $folder } heeft nog geen studie; maak er een met `parlog study create SLUG --name "…" --municipality "…"`, of laad de demo met `parlog demo`
studies-ambiguous = de datamap heeft { $count } studies ({ $slugs }); noem er een met --study SLUG (of PARLOG_STUDY); `parlog study list` toont ze
studies-unknown = deze datamap heeft geen studie "{ $slug }" (wel: { $known }); `parlog study create` maakt er een
studies-orphan = studie { $slug }: haar map { $folder } bevat gebeurtenissen maar staat niet in het register; haal haar uit de datamap, of kies een andere slug
studies-orphan-database = studie { $slug }: { $database } bevat { $events } gebeurtenissen van een studie met die naam die niet in het register van deze datamap staat (de studie van een andere datamap, of een overblijfsel); kies een andere slug, of gebruik de datamap waar ze bij hoort
studies-wrong-store-postgres = studie { $study }: haar gebeurtenissen staan in { $kept }, in { $folder }, maar deze opdracht werkt op { $runs }; geef --store met het postgres://-adres van de database (of zet PARLOG_STORE), of kopieer de studie eruit met `parlog migrate`
studies-wrong-store-embedded = studie { $study }: haar gebeurtenissen staan in { $kept }, in { $folder }, maar deze opdracht werkt op { $runs }; voer de opdracht uit zonder --store (en zonder PARLOG_STORE), of kopieer de studie naar de database met `parlog migrate`
studies-not-in-database = studie { $study } staat in het register van deze datamap, maar { $database } heeft geen studie met die naam; controleer of --store (PARLOG_STORE) de database noemt waarin de studies van deze datamap staan, of haal de studie terug (`parlog migrate` uit een kopie, of een back-up van PostgreSQL)
studies-no-key-folder = studie { $study }: haar sleutelmap { $folder } ontbreekt, dus haar sleutels van betrokkenen zijn niet te lezen; zet de map terug uit een back-up van de datamap
studies-name = { $what } is leeg of langer dan { $max } tekens
study-exists = er is al een studie "{ $slug }" (`parlog study list` toont ze); kies een andere slug
study-no-such = er is geen studie { $slug }; `parlog study list` toont ze
study-archived = studie { $slug } is gearchiveerd: ze is te lezen, te controleren en te exporteren, en neemt geen gebeurtenissen meer aan
study-root = (de eigen studie van de datamap)
study-held = studie { $study } is open in een ander parlog-proces, zoals een draaiende `parlog serve`, die haar enige schrijver is zolang die draait. Doe de wijziging via de webinterface of de API van de server ({ $api }), of stop de server en voer deze opdracht opnieuw uit. Opdrachten die alleen lezen (log, show, notes, project, retrospective, stats, export, verify) werken ernaast.
read-beside-server = let op: studie { $study } is open in een draaiende parlog-server; gelezen zonder iets te veranderen, zoals ze was toen deze opdracht begon
cannot-write = kan { $path } niet schrijven: { $why }
cannot-read = kan { $path } niet lezen: { $why }
cannot-read-stdin = kan de standaardinvoer niet lezen: { $why }
cannot-create = kan { $path } niet maken: { $why }
wrote = { $path } geschreven
not-json = geen JSON: { $why }
nothing-changed = er is niets veranderd
event-refused = gebeurtenis { $index }: { $why }
progress = gebeurtenissen ({ $speed }, nog { $left })
recovered = parlog: herstel: { $what }
recovered-key-copy = parlog: herstel: `{ $copy }` ontbrak of was leeg en is opnieuw geschreven uit de andere kopie van het sleutelbestand
recovered-keys-migrated = parlog: het sleutelbestand had de eerste vorm (sleutels onversleuteld); het is nu omhuld met de hoofdsleutel
store-embedded = de ingebouwde opslag
store-embedded-read-only = de ingebouwde opslag, gelezen naast een draaiende server
store-postgres = PostgreSQL op { $address }
kept-nothing = nog nergens
kept-embedded = de ingebouwde opslag (een logboek in de map van de studie)
kept-postgres = PostgreSQL (de map van de studie bevat haar sleutels)
master-key-file = het hoofdsleutelbestand { $file }
master-key-passphrase = de wachtzin in { $var }

## Tabellen

col-position = positie
col-id = id
col-occurred = gebeurd op
col-stream = stroom
col-kind = soort
col-author = auteur
col-slug = studie
col-name = naam
col-municipality = gemeente
col-state = stand
col-place = bestanden
col-token = token
col-participant = deelnemer
col-roles = rollen
col-created = gemaakt

## init, study

init-postgres = de gebeurtenissen staan in { $store }; het parlog-schema daarin is klaar
init-made = datamap gemaakt: { $folder }; voeg een studie toe met `parlog study create SLUG --name "…" --municipality "…"` (of laad de demo met `parlog demo`)
init-exists = { $folder } is al een datamap; er is niets veranderd
study-created = studie { $slug } gemaakt: { $name } ({ $folder })
study-list-empty = nog geen studies; `parlog study create SLUG --name "…"` maakt er een
study-state-active = actief
study-state-archived = gearchiveerd { $at }
study-place-root = de datamap zelf (gemaakt door een eerdere versie)
study-place-postgres = {" "}(sleutels); gebeurtenissen in PostgreSQL
study-place-missing = ; ONTBREEKT in de database
study-only-in-database = let op: de database bevat ook studie { $slug }, die het register van deze datamap niet noemt

## append, log, show, stats, export, import, demo

append-not-array = de invoer begint met '[' maar is geen JSON-lijst: { $why }
append-empty = geen gebeurtenissen in de invoer; geef NDJSON (één gebeurtenis per regel) of een JSON-lijst
append-duplicate = al bewaard
show-bad-position = { $given } is geen positie; posities beginnen bij 1 (`parlog log` toont ze)
show-bad-event = verwacht het id van een gebeurtenis of een positie (een getal, zoals `parlog log` ze toont): { $why }
show-no-id = geen gebeurtenis met id { $id }; `parlog log` toont de ids
show-no-position = geen gebeurtenis op positie { $position }: het logboek heeft { $head ->
        [one] 1 gebeurtenis
       *[other] { $head } gebeurtenissen
    }; `parlog log` toont ze
show-position = positie
show-id = id
show-kind = soort
show-kind-value = { $kind } (schema { $schema })
show-stream = stroom
show-stream-value = { $stream } (versie { $version })
show-occurred = gebeurd op
show-recorded = vastgelegd op
show-author = auteur
show-causation = aanleiding
show-payload = inhoud
show-sealed-for = verzegeld voor
show-sealed = verzegeld
show-sealed-no-key = hier niet te lezen: deze datamap heeft geen sleutel voor { $subject } (het logboek is geïmporteerd zonder --with-keys)
show-sealed-damaged = beschadigd: { $why }; voer `parlog verify` uit voor de hele map
show-sealed-forgotten = vergeten: de gegevens van { $subject } zijn vernietigd op { $at } op verzoek van { $by } (gebeurtenis op positie { $position })
show-hash = hash
show-previous = vorige
stats-events = gebeurtenissen
stats-streams = stromen
stats-head = kop
stats-on-disk = op schijf
stats-on-disk-value = { $mib } MiB ({ $store })
stats-kinds = per soort:
export-cannot-write = kan de export niet schrijven: { $why }
export-done = { $events ->
        [one] 1 gebeurtenis
       *[other] { $events } gebeurtenissen
    } geëxporteerd naar { $path }
import-bad-line = { $path } regel { $line }: { $why }
import-empty = het bestand is leeg; verwacht een parlog-export
import-no-header = verwacht een kopregel { $header } zoals `parlog export` die schrijft
import-bad-key = de sleutel van { $subject } is geen 32 bytes in base64
import-incomplete = de kopregel kondigt { $total } gebeurtenissen aan maar het bestand bevat er { $seen }; het bestand is onvolledig ({ $added } gebeurtenissen geïmporteerd)
import-forgotten = niet geïmporteerd, omdat ze hier vergeten zijn: de sleutels van { $subjects ->
        [one] 1 betrokkene
       *[other] { $subjects } betrokkenen
    } ({ $names }) en { $sealed ->
        [one] 1 verzegeld deel
       *[other] { $sealed } verzegelde delen
    }; vergeten is definitief
import-done = { $added } nieuwe gebeurtenissen geïmporteerd ({ $present } waren er al); kop op positie { $position } { $hash }
export-qdpx-done = { $path } geschreven: { $texts } notities en memo's, { $codes } codes, { $codings } gecodeerde fragmenten (REFI-QDA-project)
export-qdpx-left-out = weggelaten: de tekst van { $texts } notities die hier niet te lezen is (van een vergeten betrokkene, of zonder sleutel), en { $codings } coderingen daarop
export-qdc-done = { $path } geschreven: { $codes } codes (REFI-QDA-codeboek)
import-qdpx-needs-author = noem de onderzoeker van wie de geïmporteerde codes, coderingen en memo's zijn: --author DEELNEMER
import-qdpx-needs-yes = import --format qdpx voegt gebeurtenissen toe aan het logboek; voer het uit op een terminal om ze te zien en de vraag te krijgen, of voeg --yes toe (voor scripts)
import-qdpx-nothing = niets nieuws in het project: elke code, codering en memo erin staat al in het logboek
import-qdpx-codes = nieuwe codes ({ $count }):
import-qdpx-codings = nieuwe coderingen ({ $count }):
import-qdpx-memos = nieuwe memo's ({ $count }):
import-qdpx-range = tekens { $start } tot { $end }
import-qdpx-ask = Deze { $events } gebeurtenissen aan het logboek toevoegen? Typ ja om door te gaan:
import-qdpx-done = { $added } gebeurtenissen toegevoegd; kop op positie { $position }
import-qdpx-ignored-elements = genegeerd: { $count } × <{ $name }> (parlog bewaart die niet)
import-qdpx-ignored-colours = genegeerd: de kleuren van { $count } codes (parlog bewaart geen kleuren)
import-qdpx-ignored-folders = genegeerd: { $count } codemappen (isCodable="false"); de codes van parlog staan naast elkaar
import-qdpx-ignored-whole = genegeerd: { $count } coderingen van een hele bron; codeer een fragment
import-qdpx-ignored-renamed = genegeerd: code ‘{ $from }’ heet ‘{ $to }’ in het bestand; hernoem hem in parlog (CodeRenamed) als dat de bedoeling is
import-qdpx-ignored-memo = genegeerd: memo ‘{ $title }’ is in het bestand veranderd; een import verandert geen memo's
import-qdpx-ignored-empty-memo = genegeerd: memo ‘{ $name }’ heeft geen tekst
import-qdpx-ignored-source = genegeerd: bron { $name } is geen notitie van deze studie (er is niets op gecodeerd)
demo-built-in = de ingebouwde demo
demo-not-array = { $name }: geen JSON-lijst van gebeurtenissen: { $why }
demo-loaded = { $name }: { $added } gebeurtenissen toegevoegd, { $present } waren er al; studie { $study } heeft { $events } gebeurtenissen
demo-no-study-started = { $name } heeft geen StudyStarted-gebeurtenis om een studie naar te noemen; maak de studie eerst met `parlog study create SLUG --name "…"`
demo-study-created = studie { $slug } gemaakt ({ $name }, { $municipality })

## forget

forget-needs-yes = forget vernietigt de sleutel en de verzegelde gegevens van { $subject } voorgoed; voer het uit op een terminal om het gevraagd te worden, of voeg --yes toe (voor scripts)
forget-ask = Dit vernietigt de sleutel en de verzegelde gegevens van { $subject } in studie { $study } voorgoed: dat kan niet ongedaan worden gemaakt. Het logboek legt vast dat { $by } erom vroeg. Typ { $subject } of ja om door te gaan:
forget-already = { $subject } was al vergeten (gebeurtenis op positie { $position })
forget-done = { $subject } vergeten: sleutel en verzegelde gegevens vernietigd (gebeurtenis op positie { $position }, id { $id })
forget-unknown = geen betrokkene { $subject } in deze studie: geen verzegelde gegevens noemen haar; controleer het id (zoals resident:r-017)

## verify, repair, keys

verify-note = let op:
verify-damaged = beschadigd:
verify-study = studie { $study }:
verify-no-studies = in orde: nog geen studies
verify-only-in-database = de database bevat ook studie { $slug }, die het register van deze datamap niet noemt; ze is niet gecontroleerd
verify-failed-because = de controle is mislukt: { $why }
verify-chain-damaged = de keten in { $database }, positie { $position }: { $why }
verify-ok = in orde: { $events ->
        [one] 1 gebeurtenis
       *[other] { $events } gebeurtenissen
    }, kop { $head }; { $keys ->
        [one] 1 sleutel van een betrokkene
       *[other] { $keys } sleutels van betrokkenen
    }; verzegelde delen: { $open } te openen, { $forgotten } vergeten, { $nokey } zonder sleutel hier
verify-ok-postgres = in orde: { $events ->
        [one] 1 gebeurtenis
       *[other] { $events } gebeurtenissen
    }, kop { $head }; { $keys ->
        [one] 1 sleutel van een betrokkene
       *[other] { $keys } sleutels van betrokkenen
    }; gebeurtenissen in PostgreSQL op { $database }
verify-failed = de controle vond { $findings ->
        [one] 1 probleem
       *[other] { $findings } problemen
    }; { $events } gebeurtenissen tot de laatste gave commit
verify-failed-postgres = de controle vond { $findings ->
        [one] 1 probleem
       *[other] { $findings } problemen
    }; { $events } gebeurtenissen tot de eerste schade
verify-orphan = { $folder }: geen studie in het register (een onderbroken `parlog study create` laat een lege achter, die de volgende create met die slug overneemt); ze is niet gecontroleerd
finding-position = , positie { $position }
finding-offset = , offset { $offset }
checkpoint-damaged = het checkpoint van de overzichten is beschadigd: { $why }
checkpoint-fix = Het is een cache: de volgende `parlog serve` of `parlog project` zet het in quarantaine en bouwt het opnieuw op uit het logboek
repair-on-postgres = repair herstelt de bestanden van de ingebouwde opslag (het logboek, de indexen en de kopieën van het sleutelbestand); met --store postgres://… staan de gebeurtenissen in PostgreSQL, dat zijn eigen bestanden bijhoudt en zelf herstelt: bij een herstart uit zijn write-ahead log, en schade daarbuiten met de middelen van PostgreSQL of een back-up. Voer `parlog --store … verify` uit om de keten van elke studie in de database en haar sleutelbestanden te controleren; zet een beschadigd sleutelbestand (studies/<slug>/keys of keys.copy) terug uit een back-up van de datamap
repair-check-failed = de controle vóór het herstel is mislukt: { $why }
repair-nothing = er valt niets te herstellen
repair-found = gevonden:
repair-plan = repair gaat: een beschadigde of ontbrekende kopie van het sleutelbestand herstellen uit de andere; indexen die niet bij het logboek passen naar quarantaine verplaatsen en opnieuw opbouwen; een beschadigde of onvoltooide laatste groep van het logboek naar quarantaine verplaatsen. Elke byte die eruit gaat, blijft bewaard in { $folder }/quarantine/ en staat in journal.txt daar. Schade waar latere gebeurtenissen op volgen, wordt niet hersteld (zet een back-up terug).
repair-needs-yes = repair verandert de datamap: voer het uit op een terminal om het gevraagd te worden, of voeg --yes toe
repair-ask = doorgaan? [j/N]
repair-moved = verplaatst:
repair-done = herstel klaar: { $moved } onderdeel/onderdelen naar quarantaine; kop op positie { $position }
keys-file-exists = { $file } bestaat; noem een nieuw bestand, zodat de oude sleutel niet wordt overschreven voordat het sleutelbestand opnieuw is omhuld
keys-env-missing = de omgevingsvariabele { $var } is niet gezet; zet de nieuwe wachtzin erin
keys-give-new = geef --new-key-file BESTAND of --new-passphrase-env VARIABELE
keys-rewrapped = studie { $study }: de sleutels van de betrokkenen zijn nu omhuld met { $key }
keys-already = studie { $study }: al omhuld met { $key }
keys-from-now-file = geef voortaan --master-key-file { $file } (of PARLOG_MASTER_KEY_FILE), of verplaats het naar { $default }; bewaar de oude sleutel tot je het gecontroleerd hebt met `parlog verify`
keys-from-now-passphrase = zet voortaan PARLOG_MASTER_PASSPHRASE op de nieuwe wachtzin

## token

token-created = token { $id } voor { $participant } ({ $roles }): één keer getoond, bewaar het goed
token-granted = token { $id } is { $role } in studie { $study }
token-no-role = token { $id } heeft geen rol in studie { $study }; `parlog token list` toont de rollen
token-ungranted = token { $id } heeft geen rol meer in studie { $study }
token-list-empty = nog geen tokens; `parlog token create --participant ID --role ROL` maakt er een (ROL: makelaar, researcher, viewer of admin), dat één keer getoond wordt
token-state-active = actief
token-state-revoked = ingetrokken { $at }
token-revoked = { $id } ingetrokken
token-none = geen actief token met id { $id }; `parlog token list` toont ze
token-no-roles = geen rol in een studie
token-unknown-participant = studie { $study } heeft geen deelnemer { $participant }: een token handelt als een deelnemer die het logboek van de studie registreert (ParticipantRegistered). { $count ->
        [0] De studie registreert nog geen deelnemers; voeg eerst een ParticipantRegistered-gebeurtenis voor { $participant } toe.
        [one] Ze registreert er 1: { $known }.
       *[other] Ze registreert er { $count }: { $known }{ $more ->
            [0] {""}
           *[other] , en nog { $more } (`parlog project network` toont ze)
        }.
    }

## serve

serve-limits = --open-studies-max en --idle-close-secs moeten ten minste 1 zijn
serve-runtime = kan de runtime niet starten: { $why }
serve-listening = parlog luistert op { $url }
serve-sign-in = Aanmelden gaat met een token: `parlog token create --participant ID --role ROL` (in een andere terminal, ook terwijl dit draait) maakt er een en toont het één keer; open { $url }#token=TOKEN, of plak het token op de aanmeldpagina op { $url }. { $tokens ->
        [0] Er zijn nog geen tokens.
        [one] Er is 1 actief token (`parlog token list`).
       *[other] Er zijn { $tokens } actieve tokens (`parlog token list`).
    }
serve-demo-loaded = het demologboek is geladen in studie { $study } ({ $events } gebeurtenissen)
serve-demo-links = aanmeldlinks voor de demo (nieuwe tokens, één keer getoond):
serve-demo-kept = { $count ->
        [one] 1 demogebruiker heeft al een token
       *[other] { $count } demogebruikers hebben al een token
    } van een eerdere start: { $users }. Een token wordt maar één keer getoond, dus de link ervan kan niet opnieuw getoond worden: maak een nieuw met `parlog --study { $study } token create --participant makelaar-noord-a --role makelaar` (en trek het oude in met `parlog token revoke ID`).

## migrate

migrate-data-flag = --{ $flag }-data is alleen voor een postgres:// --{ $flag }: een map bij --{ $flag } is haar eigen datamap
migrate-side-folder = de datamap { $folder }
migrate-side-postgres = PostgreSQL op { $address } (datamap { $folder })
migrate-same-folder = bron en doel zouden de datamap { $folder } delen: de map studies/<slug>/ van een studie bevat in de ingebouwde opslag haar logboek en bij PostgreSQL haar sleutels, dus ze kan niet allebei zijn; geef het doel een eigen datamap: --to-data MAP bij een postgres:// --to, of een andere map als --to
migrate-nothing = { $source } heeft geen studie; er is niets te kopiëren
migrate-study = studie { $study }: { $why }
migrate-refused = { $refusals }; migrate overschrijft nooit een studie, en er is niets veranderd
migrate-done = { $studies ->
        [one] 1 studie
       *[other] { $studies } studies
    } gekopieerd van { $source } naar { $target }; de sleutels van de betrokkenen zijn omhuld met { $key }. De bron is onveranderd: controleer het doel met `parlog verify` voordat je de bron opheft. Tokens blijven in de datamap van de bron; geef mensen toegang tot het doel met `parlog token create`
migrate-folder-other-store = haar map { $folder } in de datamap van het doel bevat { $kept }, geen studie van { $target }
migrate-orphan-rows = { $database } bevat al { $events } gebeurtenissen van een studie met die naam, waarvan de sleutels niet in deze datamap staan (de studie van een andere datamap); kies een andere database, of geef de datamap waar ze bij hoort
migrate-target-holds = het doel heeft haar al, met { $events } gebeurtenissen ({ $target })
migrate-target-other = het doel heeft { $events } gebeurtenissen van een studie met die naam die niet in zijn register staat en geen kopie van deze is ({ $target })
migrate-resume = studie { $study }: het doel heeft de eerste { $events } gebeurtenissen van een onderbroken kopie; de kopie gaat verder
migrate-stopped = studie { $study }: de kopie is gestopt: { $why }; wat gekopieerd is, blijft in het doel, buiten zijn register, en dezelfde `parlog migrate` nog eens gaat daar verder
migrate-heads-differ = studie { $study }: na de kopie is de kop van de bron positie { $source } en die van het doel positie { $target }; het doel staat niet in zijn register; voer `parlog verify` uit op beide
migrate-copied = studie { $study }: { $events } gebeurtenissen gekopieerd; kop op positie { $position } { $hash } aan beide kanten
retro-odt-needs-out = een OpenDocument-tekst is een zip-pakket, geen tekst voor een terminal: geef --out BESTAND.odt

## notes
notes-footer = { $shown } van { $total } { $total ->
        [one] notitie
       *[other] notities
    }
notes-footer-more = { $shown } van { $total } notities; de volgende pagina: parlog notes … --before { $before }
notes-text-forgotten = (tekst vergeten)
notes-text-withheld = (tekst niet te lezen)
notes-retracted = [ingetrokken]
