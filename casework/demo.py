"""Realistic DACH demo data: users, signals and cases in every state of the workflow.

``flask casework demo`` calls :func:`load` inside one unit of work. Everything goes through
the domain operations, so the audit trail is as real as the data: signals are filed and
triaged, cases are assigned, mitigated, reviewed (four eyes), closed, reopened and
dismissed. The story is told on a timeline over the last month; each step runs with the
clock frozen at its moment on that timeline (``frozen_time``), so its rows and its audit
events are written with that time and the audit chain is never rewritten afterwards.

The content is plain data at the top of the module; the loader below only walks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial

import sqlalchemy as sa

from casework.cases import operations as cases
from casework.errors import CaseworkError, Conflict
from casework.extensions import db
from casework.models import Case, MitigationAction, Signal, User
from casework.models.types import frozen_time, utcnow
from casework.signals import operations as signals
from casework.users import operations as users
from casework.vocabulary import ActionStatus, Resolution, Role, TransitionAction
from casework.workflow import TransitionInput

DEMO_PASSWORD = "casework-demo-2026"

# --------------------------------------------------------------------------- people

ADMIN = "admin@casework.example"
PM = "pm@casework.example"
PM2 = "lukas.gruber@casework.example"
SPEC = "specialist@casework.example"
SPEC2 = "jonas.hofer@casework.example"
SPEC3 = "mehmet.aydin@casework.example"
LEAD = "leadership@casework.example"

DEMO_USERS: list[tuple[str, str, Role]] = [
    (ADMIN, "Thomas Keller", Role.ADMIN),
    (PM, "Anna Becker", Role.PROGRAM_MANAGER),
    (PM2, "Lukas Gruber", Role.PROGRAM_MANAGER),
    (SPEC, "Sophie Meier", Role.POLICY_SPECIALIST),
    (SPEC2, "Jonas Hofer", Role.POLICY_SPECIALIST),
    (SPEC3, "Mehmet Aydin", Role.POLICY_SPECIALIST),
    (LEAD, "Dr. Katharina Vogel", Role.LEADERSHIP),
]

# Partner teams do not log in; they own mitigation actions by name.
CONTENT_POLICY = "Jana Wolf (Content Policy)"
PRODUCT_LIVE = "Felix Brandt (Product, Live)"
PRODUCT_SEARCH = "Nina Koch (Product, Search)"
PRODUCT_ADS = "Sebastian Roth (Product, Ads)"
PRODUCT_MESSAGING = "Laura Fischer (Product, Messaging)"
PRODUCT_COMMENTS = "Anja Krüger (Product, Comments)"
ANALYTICS = "Tobias Lang (Data Analytics)"
OPERATIONS = "Elif Demir (Operations)"
POLICY_DE = "Dr. Miriam Hahn (Public Policy DE)"
POLICY_AT = "Stefan Huber (Public Policy AT)"
POLICY_CH = "Reto Zimmermann (Public Policy CH)"
COMMS = "Paul Neumann (Communications)"
LEGAL = "Dr. Eva Lorenz (Legal)"
NGO = "Elternberatung (partner NGO)"

USERS_JOINED_DAYS_AGO = 45

# --------------------------------------------------------------------------- signals
# ``days``: when it was observed, in days before now; it is filed a few hours later.
# ``by``: who filed it.

SIGNALS: list[dict] = [
    # Hate speech after the derby (case "derby-hate")
    dict(
        key="derby-hate", source="social_media", market="DE", surface="comments",
        category="hate_speech", days=12.6, ref="SMM-DE-20261112-07", by=PM,
        title="Anstieg von Hassrede in Live-Kommentaren nach Bundesliga-Derby",
        description=(
            "Social Listening zeigt nach dem Derby am Samstagabend eine Welle rassistischer "
            "Kommentare in Live-Streams von Fan-Accounts. Viele Varianten mit Emoji-Codes, "
            "die unsere Keyword-Liste nicht erkennt. Peak: ca. 2.300 Kommentare/Stunde."
        ),
        url="https://listening.example.org/alerts/de/20261112-07",
    ),
    dict(
        key="derby-tf", source="trusted_flagger", market="DE", surface="live",
        category="hate_speech", days=11.8, ref="TF-2026-118", by=PM,
        title="Trusted flagger notice: racist abuse of players in Live comments",
        description=(
            "Notice under Art. 22 DSA listing 37 Live comments with racist abuse of two "
            "players, several still online 20 hours after the match. Flagger asks for "
            "priority handling and a summary of actions taken."
        ),
        url="https://tf-portal.example.org/notices/TF-2026-118",
    ),
    dict(
        key="derby-at", source="market_data", market="AT", surface="comments",
        category="hate_speech", days=11.0, ref="MHD-AT-CMT-0388", by=PM2,
        title="Hate comment removals in AT up 2.3x after the derby weekend",
        description=(
            "Market-health dashboard: hate speech removals on comments in AT rose from "
            "~1,100 to ~2,550 per day; the same emoji codes as in the DE wave."
        ),
        url="https://dashboards.example.org/market-health/at/comments?week=46",
    ),
    # Cyberbullying in Live battles, AT (case "live-battles-at")
    dict(
        key="live-at-40", source="market_data", market="AT", surface="live",
        category="cyberbullying", days=28.2, ref="MHD-AT-LIVE-0412", by=PM2,
        title="Reports on Live in AT up 40% week on week",
        description=(
            "Bullying and harassment reports on Live in AT: 1,812 vs 1,294 the week before "
            "(+40%). Breakdown points to 'battle' streams among school-age users where the "
            "loser is mocked in the comments."
        ),
        url="https://dashboards.example.org/market-health/at/live?week=43",
    ),
    dict(
        key="live-at-school", source="escalation", market="AT", surface="live",
        category="cyberbullying", days=26.5, ref="ESC-4711", by=SPEC2,
        title="Eskalation Creator Partnerships: Grazer Schule meldet 'Roast-Battles'",
        description=(
            "Eine Schule in Graz meldet über Creator Partnerships, dass eine 13-jährige "
            "Schülerin in Live-Battles wiederholt vorgeführt wurde. Mitschnitte kursieren "
            "als Videos weiter."
        ),
        url="https://jira.example.org/browse/ESC-4711",
    ),
    dict(
        key="live-at-news", source="news", market="AT", surface="live",
        category="cyberbullying", days=25.0, ref="MW-2026-10-0291", by=SPEC2,
        title="Presseartikel: Mobbing in Live-Battles beschäftigt Grazer Schulen",
        description=(
            "Regionale Tageszeitung berichtet über Mobbing in Live-Battles; Elternverein "
            "fordert Altersgrenzen. Gleicher Sachverhalt wie die Eskalation ESC-4711."
        ),
        url="https://news.example.org/steiermark/mobbing-live-battles",
    ),
    # Dangerous challenges with minors, DE (case "blackout-bzkj")
    dict(
        key="bzkj", source="authority", market="DE", surface="video",
        category="youth_safety", days=20.5, ref="BzKJ-2026-0457", by=PM,
        title="BzKJ-Anfrage zu Challenge-Videos mit Minderjährigen",
        description=(
            "Die Bundeszentrale für Kinder- und Jugendmedienschutz bittet um Stellungnahme "
            "zu gefährlichen Challenge-Videos, in denen erkennbar Minderjährige auftreten. "
            "14 Beispiel-URLs im Anhang, Frist 14 Tage."
        ),
        url="https://authority-requests.example.org/bzkj/2026-0457",
    ),
    dict(
        key="blackout", source="internal_detection", market="DE", surface="search",
        category="youth_safety", days=19.0, ref="ID-CLS-20931", by=SPEC3,
        title="Jugendschutz: 'Blackout Challenge' resurfaces in DE search",
        description=(
            "Search classifier: queries for 'blackout challenge' and 23 spelling variants up "
            "6x in DE in 48 hours, mostly from accounts registered as 13-15."
        ),
        url="https://detection.example.org/clusters/ID-CLS-20931",
    ),
    dict(
        key="blackout-news", source="news", market="DE", surface="video",
        category="youth_safety", days=17.3, ref=None, by=SPEC3,
        title="Elternmagazin warnt vor Rückkehr der 'Blackout Challenge'",
        description="Online-Artikel mit Screenshots aus unserer Suche; gleicher Trend wie "
                    "ID-CLS-20931.",
        url="https://news.example.org/familie/blackout-challenge-warnung",
    ),
    # Scam ads impersonating Swiss banks (case "swiss-bank-ads")
    dict(
        key="swiss-bank-ads", source="trusted_flagger", market="CH", surface="ads",
        category="scams_fraud", days=9.4, ref="TF-2026-131", by=SPEC,
        title="Trusted flagger notice: coordinated scam ads impersonating Swiss banks",
        description=(
            "64 ad creatives using logos of cantonal banks and a fake 'security update' "
            "landing page that phishes e-banking credentials. Three landing domains, "
            "registered in the last two weeks."
        ),
        url="https://tf-portal.example.org/notices/TF-2026-131",
    ),
    dict(
        key="swiss-bank-users", source="user_report", market="CH", surface="ads",
        category="scams_fraud", days=8.2, ref="UR-CH-2026-55012", by=SPEC,
        title="Nutzermeldungen: 'Kantonalbank'-Werbung führt auf Phishing-Seite",
        description=(
            "Cluster von 312 Nutzermeldungen in 24 Stunden; mehrere Betroffene berichten "
            "von abgebuchten Beträgen nach Eingabe ihrer Zugangsdaten."
        ),
        url="https://reports.example.org/clusters/UR-CH-2026-55012",
    ),
    dict(
        key="swiss-bank-ads-2", source="social_media", market="CH", surface="ads",
        category="scams_fraud", days=6.9, ref="SMM-CH-20261117-03", by=SPEC,
        title="Posts warnen vor gefälschten Bank-Anzeigen auf unserer Plattform",
        description="Viral geteilter Warn-Post mit Screenshots derselben Anzeigen.",
        url="https://listening.example.org/alerts/ch/20261117-03",
    ),
    dict(
        key="swiss-bank-esc", source="escalation", market="CH", surface="accounts",
        category="scams_fraud", days=6.0, ref="ESC-4790", by=PM,
        title="Ads Integrity escalation: 212 advertiser accounts linked by payment fingerprint",
        description=(
            "Ads Integrity linked 212 advertiser accounts to the same payment instruments "
            "and device fingerprints; 38 already ran the bank impersonation creatives."
        ),
        url="https://jira.example.org/browse/ESC-4790",
    ),
    # Terror propaganda re-uploads (case "terror-reuploads")
    dict(
        key="terror-clips", source="internal_detection", market="DE", surface="video",
        category="violent_extremism", days=29.5, ref="ID-HASH-7781", by=SPEC3,
        title="GIFCT hash matches spike: IS propaganda re-uploads with music overlays",
        description=(
            "Hash matching caught 340 re-uploads in 12 hours, edited with music overlays to "
            "evade exact matching. Uploads concentrated in DE and AT."
        ),
        url="https://detection.example.org/hash/ID-HASH-7781",
    ),
    dict(
        key="terror-lea", source="authority", market="AT", surface="accounts",
        category="violent_extremism", days=28.0, ref="DSN-2026-0193", by=PM,
        title="DSN-Ersuchen: Konten mit Anschlagsdrohung gegen Wiener Veranstaltung",
        description=(
            "Die Direktion Staatsschutz und Nachrichtendienst ersucht um Sicherung von "
            "vier Konten, die Propaganda-Clips teilen und eine Drohung gegen eine "
            "Veranstaltung in Wien gepostet haben."
        ),
        url="https://authority-requests.example.org/dsn/2026-0193",
    ),
    # Coded self-harm hashtags (case "selfharm-hashtags")
    dict(
        key="selfharm-tag", source="social_media", market="DE", surface="search",
        category="self_harm", days=24.3, ref="SMM-DE-20261031-02", by=SPEC,
        title="Self-harm content spreading under coded hashtags in DE/AT",
        description=(
            "Listening found coded hashtags and emoji combinations used to share "
            "self-harm images; our blocklist only covers the plain-text tags."
        ),
        url="https://listening.example.org/alerts/de/20261031-02",
    ),
    dict(
        key="selfharm-ch", source="user_report", market="CH", surface="video",
        category="self_harm", days=22.0, ref="UR-CH-2026-54102", by=SPEC,
        title="Meldungen: 'Abschiedsvideos' von Jugendlichen in CH",
        description=(
            "Mehrere Meldungen besorgter Nutzerinnen über Videos, in denen Jugendliche "
            "Abschiedsbotschaften posten; Hashtags identisch mit SMM-DE-20261031-02."
        ),
        url="https://reports.example.org/clusters/UR-CH-2026-54102",
    ),
    dict(
        key="selfharm-back", source="market_data", market="AT", surface="search",
        category="self_harm", days=2.9, ref="MHD-AT-SRCH-0417", by=PM,
        title="Searches for new spellings of blocked self-harm hashtags up 3x in AT",
        description=(
            "New spelling variants (digits for letters, zero-width characters) bypass the "
            "blocklist introduced in the earlier case; search volume tripled this week."
        ),
        url="https://dashboards.example.org/market-health/at/search?week=47",
    ),
    # Grooming via DMs, AT (case "grooming-dm-at")
    dict(
        key="grooming-at", source="authority", market="AT", surface="messages",
        category="child_safety", days=15.6, ref="BK-AT-2026-1187", by=PM2,
        title="Bundeskriminalamt: Erwachsene kontaktieren Minderjährige über DMs",
        description=(
            "Das Bundeskriminalamt (AT) informiert über Ermittlungen gegen ein Netzwerk, "
            "das Minderjährige nach gezielten Follow-Kaskaden per Direktnachricht "
            "kontaktiert und auf andere Dienste lockt."
        ),
        url="https://authority-requests.example.org/bk-at/2026-1187",
    ),
    dict(
        key="grooming-detect", source="internal_detection", market="AT",
        surface="follow_like", category="child_safety", days=14.0, ref="ID-GRM-0662", by=SPEC2,
        title="Graph signal: adult accounts mass-following accounts of under-16s in AT",
        description=(
            "Graph model flags 58 adult accounts that followed 200+ accounts of under-16s "
            "each within days, followed by DM attempts."
        ),
        url="https://detection.example.org/graph/ID-GRM-0662",
    ),
    # Election misinformation, CH (case "vote-ch")
    dict(
        key="vote-ch", source="news", market="CH", surface="video",
        category="misinformation", days=4.6, ref="SDA-20261120-044", by=SPEC,
        title="Manipulierte Videos zur Volksabstimmung: falsche Stimmzettel-Anleitung",
        description=(
            "Agenturmeldung: Videos behaupten, mit Bleistift ausgefüllte Stimmzettel seien "
            "ungültig, und rufen zur Stimmabgabe per Online-Formular auf (Phishing)."
        ),
        url="https://news.example.org/schweiz/abstimmung-falsche-anleitung",
    ),
    dict(
        key="vote-ch-social", source="social_media", market="CH", surface="search",
        category="misinformation", days=3.9, ref="SMM-CH-20261121-01", by=SPEC,
        title="Search suggestions push 'Stimmzettel ungültig' videos in CH",
        description="Autocomplete suggests the false claim for 'stimmzettel' in CH.",
        url="https://listening.example.org/alerts/ch/20261121-01",
    ),
    # Doxxing of local councillors, DE (case "doxxing")
    dict(
        key="doxxing", source="escalation", market="DE", surface="comments",
        category="privacy", days=29.9, ref="ESC-4688", by=SPEC3,
        title="Public Policy escalation: home addresses of local councillors in comments",
        description=(
            "Public Policy DE reports that home addresses and photos of the houses of three "
            "local councillors are posted under videos about a refugee shelter decision."
        ),
        url="https://jira.example.org/browse/ESC-4688",
    ),
    # Nitrous oxide and vapes sold to minors (case "lachgas")
    dict(
        key="lachgas", source="news", market="DE", surface="video",
        category="illegal_goods", days=10.8, ref="MW-2026-11-0387", by=PM2,
        title="Recherche: Lachgas und Einweg-Vapes werden über Kurzvideos an Teenager verkauft",
        description=(
            "Investigativ-Recherche zeigt Verkaufs-Accounts, die mit Kurzvideos werben und "
            "Bestellungen über Direktnachrichten und Telegram-Links abwickeln."
        ),
        url="https://news.example.org/recherche/lachgas-vapes-kurzvideos",
    ),
    dict(
        key="lachgas-search", source="internal_detection", market="DE", surface="search",
        category="illegal_goods", days=10.1, ref="ID-KW-3140", by=PM2,
        title="Search autocomplete suggests 'lachgas kaufen' to teen accounts",
        description="Autocomplete audit: 'lachgas kaufen', 'vape ohne ausweis' in top suggestions.",
        url="https://detection.example.org/search-audit/ID-KW-3140",
    ),
    dict(
        key="lachgas-at", source="user_report", market="AT", surface="messages",
        category="illegal_goods", days=7.0, ref="UR-AT-2026-19877", by=SPEC2,
        title="DM-Angebote für Lachgas-Kartuschen mit Telegram-Link (AT)",
        description="Eltern melden DM-Angebote an ihre Kinder; Link-in-Bio führt zu Telegram.",
        url="https://reports.example.org/clusters/UR-AT-2026-19877",
    ),
    # Graphic crash footage, AT (case "crash-video")
    dict(
        key="crash-video", source="social_media", market="AT", surface="video",
        category="violent_graphic", days=22.4, ref="SMM-AT-20261102-05", by=SPEC2,
        title="Graphic footage of motorway crash circulating in AT feeds",
        description=(
            "Dashcam footage of a fatal crash on the A2, uncut, re-uploaded by news "
            "aggregator accounts; victims partly identifiable."
        ),
        url="https://listening.example.org/alerts/at/20261102-05",
    ),
    dict(
        key="crash-video-users", source="user_report", market="AT", surface="follow_like",
        category="violent_graphic", days=21.9, ref="UR-AT-2026-19011", by=SPEC2,
        title="User reports: crash video shown in For You feed without warning",
        description="Reports cluster on the same footage as SMM-AT-20261102-05.",
        url="https://reports.example.org/clusters/UR-AT-2026-19011",
    ),
    # Bot network, CH (case "bot-follows-ch")
    dict(
        key="bots-ch", source="internal_detection", market="CH", surface="follow_like",
        category="other", days=26.4, ref="ID-INAUTH-0215", by=SPEC,
        title="Engagement farming: bot network selling follows and likes to CH creators",
        description=(
            "Inauthentic-behaviour model found ~2,300 accounts created from the same ASN, "
            "following and liking a rotating set of CH creator accounts."
        ),
        url="https://detection.example.org/inauthentic/ID-INAUTH-0215",
    ),
    # Qualified, not yet assigned
    dict(
        key="teacher-ch", source="escalation", market="CH", surface="accounts",
        category="cyberbullying", days=2.2, ref="ESC-4823", by=SPEC,
        title="Fake-Profile verspotten Lehrpersonen an Zürcher Sekundarschulen",
        description=(
            "Schulleitung meldet über Public Policy CH Fake-Profile mit Fotos und Namen von "
            "Lehrpersonen; Videos mit herabwürdigenden Montagen."
        ),
        url="https://jira.example.org/browse/ESC-4823",
    ),
    dict(
        key="antisemitism", source="trusted_flagger", market="DE", surface="comments",
        category="hate_speech", days=1.3, ref="TF-2026-142", by=PM,
        title="Trusted flagger notice: antisemitic comments under news videos up sharply",
        description=(
            "Notice with 120 comments under news videos on the Middle East, many with "
            "coded antisemitic slurs and Holocaust denial; flagger reports slow removals."
        ),
        url="https://tf-portal.example.org/notices/TF-2026-142",
    ),
    dict(
        key="antisemitism-at", source="market_data", market="AT", surface="comments",
        category="hate_speech", days=1.0, ref="MHD-AT-CMT-0415", by=PM2,
        title="Antisemitism removals on comments in AT doubled in 48 hours",
        description="Same comment patterns as TF-2026-142, now also in AT.",
        url="https://dashboards.example.org/market-health/at/comments?week=48",
    ),
    dict(
        key="blackout-grid", source="social_media", market="AT", surface="video",
        category="misinformation", days=0.9, ref="SMM-AT-20261123-02", by=SPEC2,
        title="KI-generierte Videos warnen vor 'Blackout' im österreichischen Stromnetz",
        description=(
            "Mehrere KI-generierte 'Nachrichten'-Videos behaupten einen bevorstehenden "
            "Stromausfall und bewerben Notstromaggregate. Reichweite bisher gering."
        ),
        url="https://listening.example.org/alerts/at/20261123-02",
    ),
    # Cases that turned out not to be risks
    dict(
        key="deo-ch", source="user_report", market="CH", surface="video",
        category="youth_safety", days=18.5, ref="UR-CH-2026-53377", by=SPEC,
        title="Eltern melden 'Deo-Challenge'-Videos",
        description="Drei Meldungen von Eltern zu Videos einer Deo-Spray-Challenge.",
        url="https://reports.example.org/clusters/UR-CH-2026-53377",
    ),
    dict(
        key="loan-ads", source="user_report", market="AT", surface="ads",
        category="scams_fraud", days=13.4, ref="UR-AT-2026-19420", by=SPEC2,
        title="User reports: 'Sofortkredit ohne Bonitätsprüfung' ads in AT",
        description="41 reports calling loan ads a scam; advertiser based in Vienna.",
        url="https://reports.example.org/clusters/UR-AT-2026-19420",
    ),
    # Assigned, not started
    dict(
        key="late-live", source="market_data", market="AT", surface="live",
        category="youth_safety", days=5.5, ref="MHD-AT-LIVE-0414", by=PM2,
        title="Live streams by under-16s after 22:00 up 25% in AT",
        description=(
            "Late-night Live streams by accounts registered as under 16 rose 25% over four "
            "weeks; gifts from adult viewers rose with them."
        ),
        url="https://dashboards.example.org/market-health/at/live?week=47",
    ),
    # Extremist recruitment through edits (case "extremist-edits")
    dict(
        key="rechts-edits", source="news", market="DE", surface="video",
        category="violent_extremism", days=17.5, ref="MW-2026-11-0311", by=SPEC,
        title="Rechtsextreme Gruppen rekrutieren Jugendliche mit 'Aesthetic'-Edits",
        description=(
            "Bericht über Accounts, die ästhetisierte Edits mit rechtsextremer Symbolik "
            "posten und Jugendliche in geschlossene Gruppen einladen."
        ),
        url="https://news.example.org/recherche/rechtsextreme-edits",
    ),
    dict(
        key="rechts-edits-at", source="authority", market="AT", surface="follow_like",
        category="violent_extremism", days=16.0, ref="DSN-2026-0207", by=PM2,
        title="DSN-Hinweis: Netzwerk folgt gezielt Jugendlichen in AT",
        description="Liste von 19 Accounts, die nach Edit-Videos gezielt Jugendlichen folgen.",
        url="https://authority-requests.example.org/dsn/2026-0207",
    ),
    # Dismissed as noise
    dict(
        key="other-platform", source="news", market="DE", surface=None,
        category="misinformation", days=16.5, ref=None, by=SPEC3,
        title="Bericht über Desinformationskampagne zur Gasversorgung",
        description="Artikel über eine Kampagne auf einem anderen sozialen Netzwerk.",
        url="https://news.example.org/digital/desinformation-gasversorgung",
    ),
    dict(
        key="derby-variance", source="market_data", market="DE", surface="live",
        category="other", days=8.4, ref="MHD-DE-LIVE-0409", by=PM,
        title="Reports on Live in DE up 6% week on week",
        description="Automatic alert: Live reports in DE +6% WoW.",
        url="https://dashboards.example.org/market-health/de/live?week=46",
    ),
    dict(
        key="satire", source="user_report", market="CH", surface="accounts",
        category="other", days=11.5, ref="UR-CH-2026-54490", by=SPEC,
        title="Meldungen: Account gibt sich als Bundesrat aus",
        description="Mehrere Meldungen wegen Identitätsanmaßung eines Bundesratsmitglieds.",
        url="https://reports.example.org/clusters/UR-CH-2026-54490",
    ),
    dict(
        key="single-account", source="authority", market="DE", surface="accounts",
        category="violent_graphic", days=6.8, ref="LEA-DE-2026-0771", by=SPEC3,
        title="Polizeianfrage zu einem einzelnen Konto (Bestandsdaten)",
        description="Landeskriminalamt bittet um Bestandsdaten zu einem Konto mit Gewaltvideo.",
        url="https://authority-requests.example.org/lea-de/2026-0771",
    ),
    dict(
        key="cookie-banner", source="escalation", market="DE", surface="ads",
        category="privacy", days=19.6, ref="ESC-4741", by=SPEC3,
        title="Legal: Frage zu Tracking-Pixeln in Werbeanzeigen",
        description="Anfrage eines Werbekunden zu Tracking-Pixeln und Einwilligungen.",
        url="https://jira.example.org/browse/ESC-4741",
    ),
    # Still new: the triage inbox
    dict(
        key="new-sextortion", source="trusted_flagger", market="DE", surface="messages",
        category="child_safety", days=0.3, ref="TF-2026-145", by=SPEC3,
        title="Trusted flagger notice: sextortion scripts targeting teenage boys via DMs",
        description=(
            "Notice with 26 accounts using the same script: fake girl profile, request for "
            "images, then payment demands within an hour. Two victims aged 14 and 15."
        ),
        url="https://tf-portal.example.org/notices/TF-2026-145",
    ),
    dict(
        key="new-knife", source="news", market="DE", surface="video",
        category="violent_graphic", days=0.6, ref="MW-2026-11-0452", by=SPEC3,
        title="Video einer Messerattacke an Berliner S-Bahnhof kursiert ungeblurrt",
        description="Mehrere Medien berichten; Clips mit erkennbaren Opfern in Umlauf.",
        url="https://news.example.org/berlin/messerattacke-video",
    ),
    dict(
        key="new-pills", source="internal_detection", market="AT", surface="search",
        category="illegal_goods", days=1.8, ref="ID-KW-3177", by=SPEC2,
        title="Codewords for prescription drugs ('Xans', 'Tili') trending in AT search",
        description="Keyword monitor: new codewords for benzodiazepines and tilidine.",
        url="https://detection.example.org/search-audit/ID-KW-3177",
    ),
    dict(
        key="new-fake-shop", source="user_report", market="CH", surface="ads",
        category="scams_fraud", days=2.4, ref="UR-CH-2026-55210", by=SPEC,
        title="Fake-Shop-Anzeigen mit Black-Friday-Rabatten (CH)",
        description="Nutzer melden Anzeigen mit 80 % Rabatt auf Markenware; Shops ohne Impressum.",
        url="https://reports.example.org/clusters/UR-CH-2026-55210",
    ),
    dict(
        key="new-deepfake-audio", source="social_media", market="DE", surface="video",
        category="misinformation", days=3.1, ref="SMM-DE-20261121-04", by=PM,
        title="Deepfake audio of a Bundestag member goes viral",
        description="Fabricated audio clip with 1.2M views in 24 hours; party has denied it.",
        url="https://listening.example.org/alerts/de/20261121-04",
    ),
    dict(
        key="new-skinny", source="social_media", market="AT", surface="video",
        category="self_harm", days=0.2, ref="SMM-AT-20261124-01", by=SPEC2,
        title="'SkinnyTok'-Inhalte zu Essstörungen trenden in AT",
        description="Pro-Ana-Inhalte unter neuen Hashtags, teils mit Diät-Challenges.",
        url="https://listening.example.org/alerts/at/20261124-01",
    ),
    dict(
        key="new-ban-evasion", source="escalation", market="DE", surface="accounts",
        category="hate_speech", days=4.2, ref="ESC-4831", by=SPEC3,
        title="Gesperrte Hass-Accounts kehren mit Backup-Konten zurück",
        description="Operations sieht Backup-Konten, die in der Bio auf die Sperre verweisen.",
        url="https://jira.example.org/browse/ESC-4831",
    ),
    dict(
        key="new-edoeb", source="authority", market="CH", surface="accounts",
        category="privacy", days=1.1, ref="EDÖB-2026-032", by=SPEC,
        title="EDÖB-Anfrage: Sichtbarkeit von Profilen Minderjähriger",
        description="Der EDÖB fragt nach Standardeinstellungen für Profile von unter 16-Jährigen.",
        url="https://authority-requests.example.org/edoeb/2026-032",
    ),
    dict(
        key="new-kommaustria", source="authority", market="AT", surface="other",
        category="other", days=2.8, ref="KOA-2026-0118", by=PM2,
        title="KommAustria: Auskunftsersuchen zu Meldewegen nach Art. 16 DSA",
        description="Fragen zur Erreichbarkeit des Meldeformulars und zu Bearbeitungszeiten.",
        url="https://authority-requests.example.org/kommaustria/2026-0118",
    ),
    dict(
        key="new-follow-requests", source="market_data", market="DE", surface="follow_like",
        category="child_safety", days=1.6, ref="MHD-DE-FOL-0233", by=PM,
        title="Follow requests to under-16 accounts from new accounts up 18% in DE",
        description="Market-health alert; no single cluster visible yet.",
        url="https://dashboards.example.org/market-health/de/follow?week=48",
    ),
    dict(
        key="new-class-chat", source="user_report", market="DE", surface="comments",
        category="cyberbullying", days=0.1, ref="UR-DE-2026-77031", by=SPEC3,
        title="Klassenchat-Screenshots werden unter Schulvideos gepostet",
        description="Meldungen von Schülerinnen; Screenshots mit Namen und Beleidigungen.",
        url="https://reports.example.org/clusters/UR-DE-2026-77031",
    ),
    dict(
        key="new-attack-reedits", source="internal_detection", market="CH", surface="video",
        category="violent_extremism", days=5.0, ref="ID-HASH-7829", by=SPEC,
        title="Hash-Match-Cluster: Re-Uploads eines Anschlagsvideos mit Gaming-Overlay",
        description="42 Treffer, teils als Gaming-Clip getarnt; Uploads aus CH und DE.",
        url="https://detection.example.org/hash/ID-HASH-7829",
    ),
]

# --------------------------------------------------------------------------- triage
# Signals dismissed as noise or merged as duplicates: (days ago, signal, verb, target, by).

TRIAGE: list[tuple[float, str, str, str, str]] = [
    (19.2, "cookie-banner", "dismiss",
     "Datenschutz-Compliance der Werbekunden, kein T&S-Risiko; an Legal/Privacy übergeben.", PM),
    (15.9, "other-platform", "dismiss",
     "No platform nexus: the campaign runs on another network; sweep found no content here.",
     PM),
    (11.0, "satire", "dismiss",
     "Klar gekennzeichneter Parodie-Account; keine Identitätsanmaßung nach unserer Policy.",
     PM),
    (8.0, "derby-variance", "dismiss",
     "Within normal weekly variance (+/-10%); the breakdown shows no driver.", PM),
    (6.5, "single-account", "dismiss",
     "Single-account data request: routed to Law Enforcement Response, not a systemic risk.",
     PM),
    (24.7, "live-at-news", "duplicate_of_case", "live-battles-at", PM2),
    (21.6, "crash-video-users", "duplicate_of_signal", "crash-video", PM2),
    (17.0, "blackout-news", "duplicate_of_signal", "blackout", PM),
    (6.6, "swiss-bank-ads-2", "duplicate_of_case", "swiss-bank-ads", PM),
]

# --------------------------------------------------------------------------- cases
# Each case opens by qualifying ``signal`` at ``opened`` (days ago), by ``pm``.
# ``steps``: (days ago, verb, *arguments), in order. The verbs:
#   assign EMAIL | attach SIGNAL | start | submit | assess TEXT | update {fields}
#   action {title, team, owner, due (days from today), status, outcome}
#   progress N | done N OUTCOME | cancel N OUTCOME   (N: the case's Nth action, from 0)
#   comment EMAIL TEXT | request_changes NOTE | approve {resolution, residual_*, note}
#   reopen NOTE | dismiss NOTE
# The owner does the owner's work; ``pm`` assigns, reopens and dismisses; ``reviewer``
# (never the owner) decides the review.

CASES: list[dict] = [
    dict(
        slug="doxxing", signal="doxxing", opened=29.7, pm=PM, reviewer=PM2,
        title="Doxxing von Kommunalpolitikern in Kommentaren",
        summary=(
            "Home addresses of local councillors posted in comments under videos about a "
            "refugee shelter decision; risk of offline harassment."
        ),
        category="privacy", markets=["DE"], surfaces=["comments", "accounts"],
        likelihood=3, impact=4,
        steps=[
            (29.6, "assign", SPEC3),
            (29.5, "start"),
            (29.5, "action", dict(
                title="Remove comments with addresses; lock comments on affected videos",
                team="operations", owner=OPERATIONS, due=-29, status="in_progress")),
            (29.4, "action", dict(
                title="Personal-data classifier for addresses in comments (DE)",
                team="product", owner=PRODUCT_COMMENTS, due=-20)),
            (29.0, "done", 0,
             "118 comments removed, comments locked on 6 videos; councillors informed "
             "through Public Policy DE."),
            (28.0, "comment", PM,
             "Danke! Public Policy DE hat zusätzlich den kommunalen Spitzenverband informiert."),
            (26.0, "progress", 1),
            (21.0, "done", 1,
             "Classifier live for DE comments, precision 0.93; 1,870 comments held for "
             "review in the first week."),
            (20.0, "assess",
             "Doxxing wave contained within 24 h. The new classifier holds address patterns "
             "for review before publication. Residual risk: new formats (images of letters, "
             "house photos) are not covered by the classifier; moderators handle them."),
            (19.5, "submit"),
            (18.0, "approve", dict(
                resolution="mitigated", residual_likelihood=2, residual_impact=3,
                note="Mitigation wirksam, Klassifikator live. Residualrisiko medium (6).")),
        ],
    ),
    dict(
        slug="terror-reuploads", signal="terror-clips", opened=29.3, pm=PM, reviewer=PM,
        title="IS-Propaganda: Re-Uploads mit Musik-Overlays und Anschlagsdrohung",
        summary=(
            "Re-uploads of IS propaganda edited to evade hash matching, plus accounts "
            "threatening an event in Vienna. Threat to life: Art. 18 DSA reports needed."
        ),
        category="violent_extremism", markets=["DE", "AT"],
        surfaces=["video", "accounts", "other"], likelihood=3, impact=5,
        steps=[
            (29.25, "assign", SPEC3),
            (29.2, "start"),
            (29.2, "action", dict(
                title="Hash list update and re-upload sweep", team="operations",
                owner=OPERATIONS, due=-28, status="in_progress")),
            (27.8, "attach", "terror-lea"),
            (27.7, "action", dict(
                title="Meldung an das BKA nach Art. 18 DSA", team="legal", owner=LEGAL,
                due=-27)),
            (27.6, "action", dict(
                title="Meldung an die DSN (AT) zur Anschlagsdrohung", team="legal",
                owner=LEGAL, due=-27)),
            (27.5, "comment", PM,
             "Threat to life: the Art. 18 reports go out today, no waiting for the weekly "
             "sync. Mehmet, please keep the evidence export ready for Legal."),
            (27.2, "done", 1, "An die ZMI beim BKA gemeldet, Vorgangsnummer liegt Legal vor."),
            (27.1, "done", 2,
             "DSN informed; four accounts preserved for law enforcement, then removed."),
            (26.0, "comment", SPEC3,
             "Hinweis: Beweismittel enthalten Gewaltdarstellungen, bitte nur bei Bedarf "
             "öffnen."),
            (25.0, "done", 0,
             "Hash list synced incl. audio-shifted variants; 1,204 re-uploads removed, "
             "96% proactively."),
            (24.0, "assess",
             "Re-upload rate fell from ~340/12h to under 1/day. Both threats reported under "
             "Art. 18 DSA within hours. The Vienna event took place without incident."),
            (23.5, "submit"),
            (22.0, "approve", dict(
                resolution="mitigated", residual_likelihood=1, residual_impact=5,
                note="Art.-18-Meldungen erfolgt, Re-Uploads unter 1/Tag. Residual: unlikely "
                     "but severe; keep the hash sync running.")),
        ],
    ),
    dict(
        slug="live-battles-at", signal="live-at-40", opened=27.8, pm=PM2, reviewer=PM2,
        title="Cybermobbing in Live-Battles unter Schülerinnen und Schülern (AT)",
        summary=(
            "Reports on Live in AT up 40% WoW, driven by 'battle' streams where the loser "
            "is mocked; a school in Graz escalated a case of a 13-year-old."
        ),
        category="cyberbullying", markets=["AT"], surfaces=["live", "comments"],
        likelihood=4, impact=3,
        steps=[
            (27.6, "assign", SPEC2),
            (26.3, "attach", "live-at-school"),
            (26.0, "start"),
            (26.0, "action", dict(
                title="Live feature restriction for minors in AT (battles off under 18)",
                team="product", owner=PRODUCT_LIVE, due=-18, status="in_progress")),
            (25.9, "action", dict(
                title="Moderator guideline refresh: Live battles and roasting",
                team="content_policy", owner=CONTENT_POLICY, due=-20)),
            (25.0, "comment", SPEC2,
             "Rückmeldung der Schule: Die betroffene Schülerin wird betreut; die Accounts "
             "der Täter sind gemeldet und gesperrt."),
            (22.0, "done", 1,
             "Guideline v3.2 live for AT/DE moderators; roast-battle examples added."),
            (19.0, "done", 0,
             "Battles disabled for under-18 accounts in AT; Live reports back to baseline "
             "(-34% WoW)."),
            (18.5, "assess",
             "Die Einschränkung wirkt: Meldungen auf Live in AT wieder auf Vorniveau. Offene "
             "Frage: gleiches Format in DE."),
            (18.0, "submit"),
            (17.0, "request_changes",
             "Bitte Residualrisiko für DE bewerten (das Format läuft dort auch) und eine "
             "Elterninformation ergänzen, bevor wir schließen."),
            (16.5, "action", dict(
                title="Elterninformation 'Live-Battles' mit Partner-NGO", team="other",
                owner=NGO, due=-8)),
            (16.4, "action", dict(
                title="DE check: battle reports among under-18s", team="data_analytics",
                owner=ANALYTICS, due=-12, status="in_progress")),
            (14.0, "done", 3,
             "DE below threshold: +3% battle reports, no school cluster. Weekly monitoring "
             "on the market-health dashboard."),
            (10.0, "done", 2,
             "Elterninfo veröffentlicht und über die Bildungsdirektion Steiermark verteilt."),
            (9.5, "assess",
             "Die Einschränkung wirkt: Meldungen auf Live in AT wieder auf Vorniveau. DE "
             "geprüft: kein vergleichbarer Anstieg, Monitoring läuft. Elterninformation "
             "veröffentlicht."),
            (9.0, "submit"),
            (8.0, "approve", dict(
                resolution="mitigated", residual_likelihood=2, residual_impact=3,
                note="Mitigation wirksam, DE geprüft. Residualrisiko medium (6); Monitoring "
                     "über das Market-Health-Dashboard.")),
        ],
    ),
    dict(
        slug="bot-follows-ch", signal="bots-ch", opened=26.2, pm=PM, reviewer=PM,
        title="Engagement farming: bot network inflating follows of CH creators",
        summary="Bot network selling follows and likes to CH creator accounts.",
        category="other", markets=["CH"], surfaces=["follow_like", "accounts"],
        likelihood=2, impact=2,
        steps=[
            (26.1, "assign", SPEC),
            (25.5, "start"),
            (25.5, "action", dict(
                title="Remove the bot cluster and reset inflated counts", team="operations",
                owner=OPERATIONS, due=-22, status="in_progress")),
            (25.4, "action", dict(
                title="Dashboard alert for follow spikes on CH creator accounts",
                team="data_analytics", owner=ANALYTICS, due=-18)),
            (23.0, "done", 0, "2,310 bot accounts removed; counts reset on 44 creator accounts."),
            (18.0, "done", 1, "Alert live; two false positives in week one, threshold tuned."),
            (17.0, "assess",
             "Low harm: no political or scam use found, only vanity metrics. The alert "
             "catches new clusters within a day."),
            (16.5, "submit"),
            (15.0, "approve", dict(
                resolution="risk_accepted", residual_likelihood=2, residual_impact=2,
                note="Residual low (4). Accepted: monitored through the alert, no further "
                     "action.")),
        ],
    ),
    dict(
        slug="selfharm-hashtags", signal="selfharm-tag", opened=24.0, pm=PM, reviewer=PM2,
        title="Selbstverletzung: codierte Hashtags umgehen die Sperrliste",
        summary=(
            "Self-harm images shared under coded hashtags and emoji combinations in DE, AT "
            "and CH; 'farewell videos' by teenagers reported in CH."
        ),
        category="self_harm", markets=["DE", "AT", "CH"], surfaces=["video", "search"],
        likelihood=3, impact=5,
        steps=[
            (23.9, "assign", SPEC),
            (23.5, "start"),
            (23.5, "action", dict(
                title="Block coded self-harm hashtags and show support resources",
                team="product", owner=PRODUCT_SEARCH, due=-20, status="in_progress")),
            (21.7, "attach", "selfharm-ch"),
            (21.5, "action", dict(
                title="Moderator guideline refresh: coded self-harm content",
                team="content_policy", owner=CONTENT_POLICY, due=-16)),
            (21.0, "comment", SPEC,
             "Bitte beim Sichten Vorsicht: Die Evidenz enthält Bilder von "
             "Selbstverletzungen. Wellbeing-Pausen einplanen."),
            (19.0, "done", 0,
             "31 hashtags blocked in DE/AT/CH; support page shown (Telefonseelsorge, "
             "Rat auf Draht 147, Pro Juventute 147)."),
            (17.0, "done", 1, "Guideline published; coded-emoji examples added."),
            (16.0, "assess",
             "Blocked hashtags no longer return results; help page CTR 9%. Risk: the "
             "community moves to new spellings, which needs ongoing monitoring."),
            (15.5, "submit"),
            (14.0, "approve", dict(
                resolution="mitigated", residual_likelihood=2, residual_impact=4,
                note="Maßnahmen wirken. Residualrisiko medium (8); Monitoring der "
                     "Schreibvarianten über Data Analytics.")),
            (2.7, "reopen",
             "Trend ist zurück: neue Schreibvarianten umgehen die Sperrliste, Suchanfragen "
             "in AT x3 (MHD-AT-SRCH-0417). Bitte neu bewerten."),
            (2.6, "attach", "selfharm-back"),
            (2.0, "action", dict(
                title="Extend the blocklist to spelling variants (fuzzy matching)",
                team="product", owner=PRODUCT_SEARCH, due=4)),
            (1.5, "comment", SPEC,
             "Ich übernehme wieder. Mitigation startet, sobald Data Analytics die "
             "Varianten-Liste liefert."),
        ],
    ),
    dict(
        slug="crash-video", signal="crash-video", opened=22.1, pm=PM2, reviewer=PM2,
        title="Graphic crash footage in For You feeds (AT)",
        summary="Uncut dashcam footage of a fatal A2 crash re-uploaded by aggregator accounts.",
        category="violent_graphic", markets=["AT"], surfaces=["video", "follow_like"],
        likelihood=2, impact=3,
        steps=[
            (22.0, "assign", SPEC2),
            (21.9, "start"),
            (21.8, "action", dict(
                title="Graphic-content interstitial; remove from For You feeds",
                team="operations", owner=OPERATIONS, due=-21, status="in_progress")),
            (21.0, "done", 0,
             "Interstitial on 57 uploads, all removed from recommendations; 12 removed for "
             "showing identifiable victims."),
            (20.5, "comment", SPEC2,
             "Existing graphic-content policy covers this; handing over to the regular "
             "Operations queue."),
            (20.4, "submit"),
            (20.0, "approve", dict(
                resolution="transferred", residual_likelihood=1, residual_impact=3,
                note="Übergabe an die reguläre Operations-Queue; kein eigener Risikofall "
                     "nötig.")),
        ],
    ),
    dict(
        slug="blackout-bzkj", signal="bzkj", opened=20.2, pm=PM,
        title="Gefährliche Challenges mit Minderjährigen ('Blackout Challenge')",
        summary=(
            "BzKJ request on dangerous challenge videos featuring minors; the 'Blackout "
            "Challenge' resurfaces in DE search. Deadline for our statement: 14 days."
        ),
        category="youth_safety", markets=["DE"], surfaces=["video", "search"],
        likelihood=4, impact=5,
        steps=[
            (20.1, "assign", SPEC3),
            (20.0, "comment", PM,
             "Frist der BzKJ: 14 Tage. Legal ist informiert; Stellungnahme über Public "
             "Policy DE abstimmen."),
            (18.8, "attach", "blackout"),
            (18.7, "start"),
            (18.6, "action", dict(
                title="Search intervention: block 'blackout challenge' and variants",
                team="product", owner=PRODUCT_SEARCH, due=-15, status="in_progress")),
            (18.5, "action", dict(
                title="Stellungnahme an die BzKJ", team="legal", owner=LEGAL, due=-6)),
            (18.4, "action", dict(
                title="Moderator guideline refresh: dangerous challenges with minors",
                team="content_policy", owner=CONTENT_POLICY, due=-10)),
            (18.3, "action", dict(
                title="Proactive sweep for challenge videos with minors",
                team="operations", owner=SPEC3, due=-12, status="in_progress")),
            (16.0, "done", 0,
             "Query and 23 variants blocked; help page (Nummer gegen Kummer) shown, 11% CTR."),
            (14.0, "done", 3,
             "412 videos reviewed, 187 removed; 9 accounts of minors sent to the youth-safety "
             "queue."),
            (12.0, "done", 2, "Guideline published; two-hour calibration with the moderators."),
            (9.0, "assess",
             "Search demand for the challenge is down 92% since the block. Re-uploads still "
             "appear under new titles but are removed within hours. Die BzKJ hat unsere "
             "Stellungnahme; wir erwarten keine weiteren Schritte."),
            (7.0, "action", dict(
                title="Creator education video with a DACH creator", team="communications",
                owner=COMMS, due=5)),
            (6.0, "done", 1,
             "Stellungnahme fristgerecht übermittelt; die BzKJ bestätigt den Eingang."),
            (5.0, "cancel", 4,
             "Cancelled: Communications advises against amplifying the challenge name while "
             "the BzKJ review is open."),
            (4.5, "submit"),
            (4.0, "comment", SPEC3,
             "Submitted. My residual view: likelihood 2, impact 5. Re-uploads are caught "
             "within hours."),
        ],
    ),
    dict(
        slug="loan-ads-at", signal="loan-ads", opened=13.2, pm=PM2,
        title="'Sofortkredit'-Anzeigen in AT als Betrug gemeldet",
        summary="User reports call instant-loan ads in AT a scam.",
        category="scams_fraud", markets=["AT"], surfaces=["ads"], likelihood=2, impact=2,
        steps=[
            (13.0, "assign", SPEC2),
            (11.0, "comment", SPEC2,
             "The advertiser holds an FMA licence; Legal is checking the ad copy against "
             "our financial services policy."),
            (10.0, "dismiss",
             "Legal confirmed: licensed lender, the ads comply with our financial services "
             "policy. Not a risk."),
        ],
    ),
    dict(
        slug="deo-challenge-ch", signal="deo-ch", opened=18.2, pm=PM,
        title="'Deo-Challenge'-Videos (CH)",
        summary="Parents report deodorant spray challenge videos.",
        category="youth_safety", markets=["CH"], surfaces=["video"], likelihood=2, impact=2,
        steps=[
            (17.5, "comment", SPEC,
             "Checked with Data Analytics: three videos, all older than a year, no uptick."),
            (17.0, "dismiss",
             "Kein aktuelles Risiko: drei Videos, alle älter als ein Jahr, keine Zunahme. "
             "Beobachtung über das reguläre Monitoring."),
        ],
    ),
    dict(
        slug="extremist-edits", signal="rechts-edits", opened=17.2, pm=PM, reviewer=PM2,
        title="Rechtsextreme Rekrutierung über 'Aesthetic'-Edits",
        summary=(
            "Right-wing extremist groups recruit teenagers with aestheticised edits and "
            "targeted follows; DSN flagged a network in AT."
        ),
        category="violent_extremism", markets=["DE", "AT"],
        surfaces=["video", "follow_like", "search"], likelihood=3, impact=4,
        steps=[
            (17.0, "assign", SPEC),
            (15.8, "attach", "rechts-edits-at"),
            (15.5, "start"),
            (15.5, "action", dict(
                title="Designate the recruitment network; remove its accounts",
                team="content_policy", owner=CONTENT_POLICY, due=-10, status="in_progress")),
            (15.4, "action", dict(
                title="Down-rank edit hashtags used for recruitment", team="product",
                owner=PRODUCT_SEARCH, due=-8)),
            (15.3, "action", dict(
                title="Briefing für Public Policy DE/AT", team="public_policy",
                owner=POLICY_DE, due=-7)),
            (11.0, "done", 0, "Network designated; 74 accounts and 1,960 videos removed."),
            (9.0, "done", 1, "Hashtags down-ranked; impressions of the edits down 81%."),
            (8.0, "cancel", 2,
             "Merged into the quarterly extremism briefing; no separate briefing needed."),
            (7.0, "assess",
             "Das Netzwerk ist entfernt, Reichweite der Edits stark gesunken. Restrisiko: "
             "neue Accounts mit anderer Ästhetik; Content Policy beobachtet."),
            (3.5, "submit"),
            (3.0, "comment", SPEC,
             "Ready for review. Lukas, can you take this one? Anna was in the original "
             "recruitment analysis."),
        ],
    ),
    dict(
        slug="grooming-dm-at", signal="grooming-at", opened=15.4, pm=PM2,
        title="Grooming-Verdacht: Erwachsene kontaktieren Minderjährige über DMs (AT)",
        summary=(
            "Adults follow under-16 accounts in cascades, then contact them by DM and move "
            "them to other services. Bundeskriminalamt (AT) investigating."
        ),
        category="child_safety", markets=["AT"], surfaces=["messages", "follow_like"],
        likelihood=3, impact=5,
        steps=[
            (15.3, "assign", SPEC2),
            (15.2, "action", dict(
                title="Meldung an das Bundeskriminalamt (Art. 18 DSA)", team="legal",
                owner=LEGAL, due=-14)),
            (15.1, "start"),
            (13.8, "attach", "grooming-detect"),
            (13.5, "action", dict(
                title="DMs from non-followed adults to under-16s off by default (AT)",
                team="product", owner=PRODUCT_MESSAGING, due=6)),
            (13.4, "action", dict(
                title="Follow-cascade detection rule", team="data_analytics", owner=ANALYTICS,
                due=1, status="in_progress")),
            (13.0, "done", 0, "Gemeldet; das BK bestätigt die Übernahme, 3 Accounts gesichert."),
            (12.0, "assess",
             "58 adult accounts removed. The structural fix is the DM default for under-16s; "
             "until it is rolled out the risk stays high."),
            (8.0, "progress", 1),
            (6.0, "comment", PM2,
             "KommAustria asked informally what we do about DMs for minors; Public Policy AT "
             "wants the product timeline."),
            (5.5, "action", dict(
                title="Briefing für KommAustria", team="public_policy", owner=POLICY_AT,
                due=3)),
            (2.0, "comment", SPEC2,
             "Rollout at 50% of AT under-16 accounts; full rollout planned for next week."),
        ],
    ),
    dict(
        slug="derby-hate", signal="derby-hate", opened=12.4, pm=PM,
        title="Hassrede in Live-Kommentaren nach Bundesliga-Derby",
        summary=(
            "Racist abuse in Live comments after the derby, with emoji codes that evade the "
            "keyword list; spilling over to AT."
        ),
        category="hate_speech", markets=["DE", "AT"], surfaces=["live", "comments"],
        likelihood=3, impact=4,
        steps=[
            (12.3, "assign", SPEC3),
            (11.6, "attach", "derby-tf"),
            (11.5, "start"),
            (11.5, "action", dict(
                title="Keyword list update for comments (DE/AT)", team="content_policy",
                owner=CONTENT_POLICY, due=-9, status="in_progress")),
            (11.4, "action", dict(
                title="Moderator surge staffing for derby weekends", team="operations",
                owner=OPERATIONS, due=-5)),
            (11.3, "update", dict(likelihood=4)),
            (10.8, "attach", "derby-at"),
            (10.5, "comment", PM,
             "Trusted-Flagger-Meldung nach Art. 22 DSA priorisiert: bitte innerhalb von "
             "24 Stunden bearbeiten und dem Flagger antworten."),
            (9.0, "done", 0,
             "140 terms and emoji codes added (DE/AT); removals for the pattern up 3.1x, "
             "overturn rate on appeal 4%."),
            (8.0, "assess",
             "Die Keyword-Liste fängt die Emoji-Codes jetzt ab. Das Risiko hängt am "
             "Spielplan: jedes Derby bringt eine neue Welle. Deshalb Surge-Staffing und "
             "Frühwarnung vor Risikospielen."),
            (7.5, "progress", 1),
            (4.0, "action", dict(
                title="Comms line for press enquiries", team="communications", owner=COMMS,
                due=3)),
            (3.0, "action", dict(
                title="Pre-match alerting for high-risk fixtures", team="data_analytics",
                owner=ANALYTICS, due=10)),
            (2.0, "comment", SPEC3,
             "Next derby is in 12 days; I want the pre-match alerting live before then."),
        ],
    ),
    dict(
        slug="lachgas", signal="lachgas", opened=10.6, pm=PM,
        title="Verkauf von Lachgas und Einweg-Vapes an Minderjährige",
        summary=(
            "Seller accounts advertise nitrous oxide and disposable vapes in short videos and "
            "sell through DMs and Telegram links; autocomplete suggested 'lachgas kaufen'."
        ),
        category="illegal_goods", markets=["DE", "AT"],
        surfaces=["video", "search", "messages", "other"], likelihood=4, impact=3,
        steps=[
            (10.5, "assign", PM2),
            (9.8, "attach", "lachgas-search"),
            (9.6, "start"),
            (9.5, "action", dict(
                title="Block 'lachgas kaufen' and variants in search and autocomplete",
                team="product", owner=PRODUCT_SEARCH, due=-6, status="in_progress")),
            (9.4, "action", dict(
                title="Keyword list update: Lachgas, Einweg-Vapes, Telegram shop links",
                team="content_policy", owner=CONTENT_POLICY, due=-4)),
            (7.0, "done", 0, "Autocomplete cleaned, 41 queries blocked, drug-risk help shown."),
            (6.7, "attach", "lachgas-at"),
            (6.5, "assess",
             "Search side is fixed; sales moved to DMs and link-in-bio. Needs the keyword "
             "update and a link scan before the risk goes down."),
            (6.0, "action", dict(
                title="Link-in-bio scan for Telegram shop links", team="data_analytics",
                owner=ANALYTICS, due=5, status="in_progress")),
            (3.0, "comment", PM2,
             "Legal prüft die Rechtslage zu Lachgas in DE und AT; bis dahin behandeln wir "
             "es als 'regulated goods' nach unserer Policy."),
        ],
    ),
    dict(
        slug="swiss-bank-ads", signal="swiss-bank-ads", opened=9.2, pm=PM,
        title="Coordinated scam ads impersonating Swiss banks",
        summary=(
            "Phishing ads using cantonal bank logos and a fake 'security update'; victims "
            "report money taken from their accounts. 212 linked advertiser accounts."
        ),
        category="scams_fraud", markets=["CH"], surfaces=["ads", "accounts"],
        likelihood=4, impact=4,
        steps=[
            (9.1, "assign", SPEC),
            (9.0, "start"),
            (9.0, "action", dict(
                title="Takedown of reported ad accounts and creatives", team="operations",
                owner=OPERATIONS, due=-7, status="in_progress")),
            (8.9, "comment", SPEC,
             "Trusted-flagger notice prioritised under Art. 22 DSA. 64 creatives, all "
             "pointing at three phishing domains."),
            (7.9, "attach", "swiss-bank-users"),
            (7.5, "action", dict(
                title="Advertiser verification for financial services ads in CH",
                team="product", owner=PRODUCT_ADS, due=14)),
            (7.0, "done", 0,
             "64 creatives and 38 ad accounts removed; phishing domains on the ads blocklist."),
            (5.8, "attach", "swiss-bank-esc"),
            (5.5, "update", dict(likelihood=5)),
            (5.4, "assess",
             "The campaign is organised (212 linked accounts) and adapts within a day. "
             "Takedowns alone do not hold; verification of financial advertisers is the "
             "structural fix. Bis dahin: tägliche Sweeps."),
            (5.0, "progress", 1),
            (4.8, "action", dict(
                title="Abgleich mit der FINMA-Warnliste automatisieren",
                team="data_analytics", owner=ANALYTICS, due=7)),
            (4.5, "action", dict(
                title="Abstimmung mit betroffenen Banken und der Bankiervereinigung",
                team="public_policy", owner=POLICY_CH, due=2)),
            (3.0, "comment", PM,
             "Leadership wants a one-pager on this for the CH market review; please keep "
             "the assessment current."),
            (1.2, "comment", SPEC,
             "Wave 2 started last night: same payment fingerprint, new domains. Blocklist "
             "updated again."),
        ],
    ),
    dict(
        slug="late-live-at", signal="late-live", opened=5.3, pm=PM2,
        title="Jugendschutz: Live-Streams von unter 16-Jährigen nach 22 Uhr (AT)",
        summary="Late-night Live streams by under-16s up 25% in AT, with gifts from adults.",
        category="youth_safety", markets=["AT"], surfaces=["live"], likelihood=3, impact=3,
        steps=[
            (5.0, "assign", SPEC2),
            (4.0, "comment", PM2,
             "Bitte mit Product klären, ob eine Sperrzeit (22 bis 6 Uhr) für unter "
             "16-Jährige technisch machbar ist."),
        ],
    ),
    dict(
        slug="vote-ch", signal="vote-ch", opened=4.4, pm=PM,
        title="Desinformation zur Volksabstimmung: falsche Stimmzettel-Anleitung",
        summary=(
            "Videos claim ballots filled in with pencil are invalid and push a phishing "
            "'online voting' form; autocomplete amplifies the claim."
        ),
        category="misinformation", markets=["CH"], surfaces=["video", "search"],
        likelihood=3, impact=3,
        steps=[
            (4.3, "assign", SPEC),
            (3.7, "attach", "vote-ch-social"),
            (3.5, "comment", SPEC,
             "Klarer Fall für ein Info-Label; ich bereite die Maßnahmen vor, sobald Public "
             "Policy CH die offizielle Quelle bestätigt."),
            (3.0, "action", dict(
                title="Info banner linking to the official voting information",
                team="product", owner=PRODUCT_SEARCH, due=2)),
        ],
    ),
    dict(
        slug="teacher-mocking-ch", signal="teacher-ch", opened=1.9, pm=PM,
        title="Fake-Profile verspotten Lehrpersonen (CH)",
        summary="Fake profiles with names and photos of teachers at Zurich secondary schools.",
        category="cyberbullying", markets=["CH"], surfaces=["accounts", "video"],
        likelihood=3, impact=2,
        steps=[
            (1.7, "comment", PM,
             "Needs an owner: Sophie is at capacity, I'll check with Lukas tomorrow."),
        ],
    ),
    dict(
        slug="antisemitism-comments", signal="antisemitism", opened=1.1, pm=PM,
        title="Antisemitische Kommentare unter Nachrichtenvideos",
        summary=(
            "Trusted flagger reports a sharp rise in antisemitic comments and Holocaust "
            "denial under news videos; AT removals doubled."
        ),
        category="hate_speech", markets=["DE", "AT"], surfaces=["comments"],
        likelihood=4, impact=4,
        steps=[
            (0.8, "attach", "antisemitism-at"),
            (0.7, "comment", PM,
             "Holocaust-Leugnung ist in DE und AT strafbar: Priorität hoch. Owner-Zuweisung "
             "im Triage-Call morgen früh."),
        ],
    ),
    dict(
        slug="blackout-grid-at", signal="blackout-grid", opened=0.6, pm=PM2,
        title="KI-Videos warnen vor Blackout im Stromnetz (AT)",
        summary="AI-generated fake news videos about a power blackout, selling generators.",
        category="misinformation", markets=["AT"], surfaces=["video"], likelihood=2, impact=2,
        steps=[],
    ),
]

CASE_FIELDS = ("title", "summary", "category", "markets", "surfaces", "likelihood", "impact")


# --------------------------------------------------------------------------- public API


def database_is_empty() -> bool:
    """True when there are no users, signals or cases yet."""
    return all(
        db.session.scalar(sa.select(model.id).limit(1)) is None
        for model in (User, Signal, Case)
    )


def print_logins(echo: Callable[[str], object]) -> None:
    """Print the demo logins, all with the shared demo password."""
    width = max(len(email) for email, _, _ in DEMO_USERS)
    echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, name, role in DEMO_USERS:
        echo(f"  {email:<{width}}  {role.value:<18}  {name}")


def load() -> str:
    """Add the demo data in the caller's transaction (which commits); a one-line summary."""
    loader = _Loader()
    loader.run()
    return loader.summary()


# --------------------------------------------------------------------------- the loader


def _filed_ago(observed_ago: float) -> float:
    """A signal is filed about three hours after it was observed."""
    return max(observed_ago - 0.125, observed_ago / 2)


@dataclass
class _CaseRun:
    spec: dict
    case: Case | None = None
    actions: list[MitigationAction] = field(default_factory=list)


class _Loader:
    def __init__(self) -> None:
        self.now = utcnow()
        self.today = self.now.date()
        self.year_start = datetime(self.now.year, 1, 1, tzinfo=UTC)
        self.users: dict[str, User] = {}
        self.signals: dict[str, Signal] = {}
        self.runs: dict[str, _CaseRun] = {}
        self.users_created = 0

    # -- time

    def at(self, days_ago: float) -> datetime:
        # Case keys carry the current year; keep the story inside it.
        return max(self.now - timedelta(days=days_ago), self.year_start)

    def due(self, days_from_today: int) -> date:
        return self.today + timedelta(days=days_from_today)

    # -- the run

    def run(self) -> None:
        self.ensure_users()
        timeline: list[tuple[float, int, Callable[[datetime], None], str]] = []

        def add(days_ago: float, step: Callable[[datetime], None], what: str) -> None:
            timeline.append((days_ago, len(timeline), step, what))

        for spec in SIGNALS:
            add(_filed_ago(spec["days"]), partial(self.file_signal, spec),
                f"signal {spec['key']}")
        for days_ago, key, verb, target, actor in TRIAGE:
            add(days_ago, partial(self.triage, key, verb, target, actor),
                f"triage of {key}")
        for spec in CASES:
            run = self.runs[spec["slug"]] = _CaseRun(spec)
            add(spec["opened"], partial(self.open_case, run), f"case {spec['slug']}")
            for days_ago, verb, *args in spec["steps"]:
                add(days_ago, partial(self.case_step, run, verb, *args),
                    f"case {spec['slug']}, {verb}")

        for days_ago, _, step, what in sorted(timeline, key=lambda e: (-e[0], e[1])):
            when = self.at(days_ago)
            try:
                with frozen_time(when):
                    step(when=when)
                    db.session.flush()  # timestamps (and onupdate) under the frozen clock
            except CaseworkError as error:
                error.add_note(f"demo data: {what}")
                raise

    def summary(self) -> str:
        existing = len(DEMO_USERS) - self.users_created
        users_part = f"{len(DEMO_USERS)} users" + (f" ({existing} existing)" if existing else "")
        return f"Loaded {users_part}, {len(self.signals)} signals, {len(self.runs)} cases."

    # -- people

    def ensure_users(self) -> None:
        admin: User | None = None
        for email, name, role in DEMO_USERS:
            user = users.find_user(email)
            if user is None:
                with frozen_time(self.at(USERS_JOINED_DAYS_AGO)):
                    user = users.create_user(admin, email=email, name=name, role=role,
                                             password=DEMO_PASSWORD)
                    db.session.flush()
                self.users_created += 1
            elif user.role != role or not user.active:
                raise Conflict(
                    f"The demo user {email} exists but is not an active {role.value}; "
                    "fix the user or load the demo into an empty database."
                )
            if role == Role.ADMIN and admin is None:
                admin = user
            self.users[email] = user

    # -- signals

    def free_ref(self, source: str, ref: str | None) -> str | None:
        """The reference, suffixed when the demo was loaded before (``ESC-4711-2``)."""
        if not ref:
            return None
        candidate, n = ref, 1
        while signals.find_by_external_ref(source, candidate) is not None:
            n += 1
            candidate = f"{ref}-{n}"
        return candidate

    def file_signal(self, spec: dict, when: datetime) -> None:
        signal = signals.file_signal(
            self.users[spec["by"]],
            title=spec["title"], description=spec["description"], source=spec["source"],
            market=spec["market"], surface=spec["surface"], category=spec["category"],
            url=spec["url"], observed_at=self.at(spec["days"]),
            external_ref=self.free_ref(spec["source"], spec["ref"]),
        )
        signal.created_at = signal.updated_at = when
        self.signals[spec["key"]] = signal

    def triaged(self, signal: Signal, when: datetime) -> None:
        signal.triaged_at = signal.updated_at = when

    def triage(self, key: str, verb: str, target: str, actor: str, when: datetime) -> None:
        signal, user = self.signals[key], self.users[actor]
        if verb == "dismiss":
            signals.dismiss_signal(user, signal, target)
        elif verb == "duplicate_of_signal":
            signals.mark_duplicate(user, signal, of_signal=self.signals[target])
        elif verb == "duplicate_of_case":
            signals.mark_duplicate(user, signal, of_case=self.runs[target].case)
        else:
            raise ValueError(f"unknown triage verb: {verb}")
        self.triaged(signal, when)

    # -- cases

    def open_case(self, run: _CaseRun, when: datetime) -> None:
        spec = run.spec
        signal = self.signals[spec["signal"]]
        fields = {name: spec[name] for name in CASE_FIELDS}
        run.case = signals.qualify_into_new_case(self.users[spec["pm"]], signal, **fields)
        run.case.created_at = run.case.updated_at = when
        self.triaged(signal, when)

    def case_step(self, run: _CaseRun, verb: str, *args, when: datetime) -> None:
        case, spec = run.case, run.spec
        assert case is not None
        pm = self.users[spec["pm"]]
        owner = case.owner or pm
        A = TransitionAction

        if verb == "assign":
            cases.transition_case(pm, case, A.ASSIGN, TransitionInput(owner=self.users[args[0]]))
        elif verb == "attach":
            signal = self.signals[args[0]]
            signals.attach_to_case(pm, signal, case)
            self.triaged(signal, when)
        elif verb == "start":
            cases.transition_case(owner, case, A.START_MITIGATION)
        elif verb == "submit":
            cases.transition_case(owner, case, A.SUBMIT_FOR_REVIEW)
        elif verb == "assess":
            cases.update_case(owner, case, expected_version=None, assessment=args[0])
        elif verb == "update":
            cases.update_case(owner, case, expected_version=None, **args[0])
        elif verb == "action":
            fields = dict(args[0])
            fields["due"] = self.due(fields["due"])
            action = cases.add_action(owner, case, **fields)
            action.created_at = action.updated_at = when
            run.actions.append(action)
        elif verb in ("progress", "done", "cancel"):
            status = {"progress": ActionStatus.IN_PROGRESS, "done": ActionStatus.DONE,
                      "cancel": ActionStatus.CANCELLED}[verb]
            action = run.actions[args[0]]
            outcome = {"outcome": args[1]} if len(args) > 1 else {}
            cases.update_action(owner, action, status=status, **outcome)
            action.updated_at = when
        elif verb == "comment":
            comment = cases.add_comment(self.users[args[0]], case, args[1])
            comment.created_at = when
            return  # a comment does not change the case itself
        elif verb == "request_changes":
            cases.transition_case(self.users[spec["reviewer"]], case, A.REQUEST_CHANGES,
                                  TransitionInput(note=args[0]))
            case.reviews[-1].created_at = when
        elif verb == "approve":
            review = dict(args[0], resolution=Resolution(args[0]["resolution"]))
            cases.transition_case(self.users[spec["reviewer"]], case, A.APPROVE,
                                  TransitionInput(**review))
            case.reviews[-1].created_at = when
            case.closed_at = when
        elif verb == "reopen":
            cases.transition_case(pm, case, A.REOPEN, TransitionInput(note=args[0]))
        elif verb == "dismiss":
            cases.transition_case(pm, case, A.DISMISS, TransitionInput(note=args[0]))
        else:
            raise ValueError(f"unknown case step: {verb}")
        case.updated_at = when
