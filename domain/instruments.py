"""The measurement instruments as versioned definitions: items, answer scales, skip rules.

An instrument is a set of questions asked together (WHO-5, the citizen's BIP
indicators, the staff assessment, the background). Each has an id and a
version; a changed question is a new version, and a recorded form says which
version of each instrument it used (`MeasurementAnswers.instruments`). Wordings
are Danish as VIVE's midterm report of "På vej til arbejde" printed them.

Answers are checked against the version used: every answered item must belong
to it, with a value on the item's scale ("ved ikke" is a value where the scale
has it); a required item must be answered once any item of the instrument is;
an item with a skip rule is left blank unless the rule's condition holds.

Answers are addressed by a flat key, `instrument.item`, taken from the nested
answers by `flatten` (and put back by `unflatten`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

DONT_KNOW = "dont_know"
"""The code of "Ved ikke" on every scale that has it."""


@dataclass(frozen=True)
class Option:
    """One answer on a scale: the stored code and the Danish label."""

    code: str
    label: str


@dataclass(frozen=True)
class Scale:
    """Ordered answers, the first listed as the form prints it first."""

    name: str
    options: tuple[Option, ...]

    @cached_property
    def codes(self) -> tuple[str, ...]:
        """The stored codes, in printed order."""
        return tuple(option.code for option in self.options)

    def label(self, code: str) -> str:
        """The Danish label of a code."""
        return next(option.label for option in self.options if option.code == code)


@dataclass(frozen=True)
class SkipRule:
    """Ask the item only when the answer to `item` (same instrument) is one of `answers`."""

    item: str
    answers: frozenset[str]


@dataclass(frozen=True)
class Item:
    """One question: its key, the wording, the scale, required or not, and a skip rule."""

    key: str
    wording: str
    scale: Scale
    required: bool = False
    asked_if: SkipRule | None = None


@dataclass(frozen=True)
class Instrument:
    """A versioned set of items on one form."""

    id: str
    version: int
    form: str
    title: str
    items: tuple[Item, ...]

    @cached_property
    def keys(self) -> tuple[str, ...]:
        """The item keys, in order."""
        return tuple(item.key for item in self.items)

    def item(self, key: str) -> Item:
        """One item by key."""
        return next(item for item in self.items if item.key == key)

    def check(self, answers: Mapping[str, Any]) -> None:
        """Refuse answers this version cannot hold (ValueError naming the item)."""
        unknown = sorted(set(answers) - set(self.keys))
        if unknown:
            raise ValueError(
                f"{self.id} version {self.version} has no item {', '.join(unknown)} "
                f"(items: {', '.join(self.keys)})"
            )
        given = {key: value for key, value in answers.items() if value is not None}
        for item in self.items:
            value = given.get(item.key)
            if value is None:
                if item.required and given and _asked(item, given):
                    raise ValueError(f"{self.id}.{item.key} is required")
                continue
            if str(value) not in item.scale.codes:
                raise ValueError(
                    f"{self.id}.{item.key}: {value!r} is not on the scale "
                    f"({', '.join(item.scale.codes)})"
                )
            if not _asked(item, given):
                rule = item.asked_if
                assert rule is not None
                raise ValueError(
                    f"{self.id}.{item.key} is skipped unless {rule.item} is "
                    f"{' or '.join(sorted(rule.answers))}"
                )


def _asked(item: Item, given: Mapping[str, Any]) -> bool:
    rule = item.asked_if
    return rule is None or str(given.get(rule.item)) in rule.answers


# Scales -----------------------------------------------------------------------

_VED_IKKE = Option(DONT_KNOW, "Ved ikke")


def _scale(name: str, *pairs: tuple[str, str], dont_know: bool = False) -> Scale:
    options = tuple(Option(code, label) for code, label in pairs)
    return Scale(name, options + ((_VED_IKKE,) if dont_know else ()))


def _bip(*labels: str) -> Scale:
    """A BIP scale: five worded levels, most negative (1) first, then "Ved ikke"."""
    return _scale("bip", *((str(i), label) for i, label in enumerate(labels, 1)), dont_know=True)


SELF_RATED = _scale(
    "self_rated",
    ("excellent", "Fremragende"),
    ("very_good", "Vældig godt"),
    ("good", "Godt"),
    ("less_good", "Mindre godt"),
    ("poor", "Dårligt"),
)
WHO5_SCALE = _scale(
    "who5",
    ("5", "Hele tiden"),
    ("4", "Det meste af tiden"),
    ("3", "Lidt mere end halvdelen af tiden"),
    ("2", "Lidt mindre end halvdelen af tiden"),
    ("1", "Lidt af tiden"),
    ("0", "På intet tidspunkt"),
)
BIP_LEVELS = _bip("1 (mest negativ)", "2", "3", "4", "5 (mest positiv)")
"""Version 1's BIP scale: levels 1-5 without wording, and don't know."""
YES_NO_DONT_KNOW = _scale("yes_no", ("yes", "Ja"), ("no", "Nej"), dont_know=True)
YES_NO = _scale("yes_no", ("yes", "Ja"), ("no", "Nej"))
SUBSTANCE = _scale(
    "substance",
    ("large", "Ja, i stort omfang"),
    ("some", "Ja, i et vist omfang"),
    ("limited", "Ja, i begrænset omfang"),
    ("no", "Nej"),
    dont_know=True,
)
LIMITS = _scale(
    "limits",
    ("high", "I høj grad"),
    ("some", "I nogen grad"),
    ("lesser", "I mindre grad"),
    ("not_at_all", "Slet ikke"),
    dont_know=True,
)
ABLE = _scale(
    "able",
    ("high", "Ja, i høj grad"),
    ("some", "Ja, i nogen grad"),
    ("limited", "I begrænset grad"),
    ("great_difficulty", "Nej, har meget vanskeligt ved dette"),
    dont_know=True,
)
FREQUENCY = _scale(
    "frequency",
    ("daily", "Dagligt eller næsten dagligt"),
    ("couple_weekly", "Ca. et par gange om ugen"),
    ("weekly", "Ca. en gang om ugen"),
    ("fortnightly", "Ca. hver 14. dag"),
    ("monthly", "Ca. en gang om måneden"),
    ("rarer", "Sjældnere end en gang om måneden"),
)
SEX = _scale("sex", ("female", "Kvinde"), ("male", "Mand"))
NATIONALITY = _scale(
    "nationality",
    ("danish", "Dansk"),
    ("danish_greenlandic", "Dansk med grønlandsk baggrund"),
    ("other", "Anden nationalitet"),
)


# Instruments --------------------------------------------------------------------

CITIZEN, STAFF = "citizen", "staff"

SELF_RATED_HEALTH_V1 = Instrument(
    "self_rated_health", 1, CITIZEN, "Selvvurderet helbred",
    (
        Item("mental_health", "Hvordan synes du, dit psykiske helbred er alt i alt?", SELF_RATED),
        Item("physical_health", "Hvordan synes du, dit fysiske helbred er alt i alt?", SELF_RATED),
    ),
)  # fmt: skip

WHO5_V1 = Instrument(
    "who5", 1, CITIZEN, "WHO-5 trivselsindeks (de seneste to uger)",
    tuple(
        Item(key, wording, WHO5_SCALE, required=True)
        for key, wording in (
            ("cheerful", "Været glad og i godt humør"),
            ("calm", "Følt mig rolig og afslappet"),
            ("active", "Følt mig aktiv og energisk"),
            ("rested", "Vågnet frisk og udhvilet"),
            ("interested", "Dagligdagen været fyldt med ting der interesserer mig"),
        )
    ),
)  # fmt: skip

BIP_CITIZEN_V1 = Instrument(
    "bip_citizen", 1, CITIZEN, "BIP-indikatorer, borger (forloebs første udgave)",
    tuple(
        Item(key, f"BIP: {key.replace('_', ' ')}", BIP_LEVELS)
        for key in (
            "job_belief", "job_search", "health_limits",
            "social_skills", "daily_structure", "network_support",
        )
    ),
)  # fmt: skip
"""The six citizen indicators forloeb asked before VIVE's questions (not VIVE's wordings)."""

BIP_CITIZEN_V2 = Instrument(
    "bip_citizen", 2, CITIZEN, "BIP-indikatorer, borgerrettede spørgsmål",
    (
        Item("job_idea", "Har du en ide om hvilket arbejde, du gerne vil have?", _bip(
            "Jeg aner ikke, hvilke typer af job jeg gerne vil have",
            "Jeg har nogle få, men uklare ideer om, hvilke typer af job jeg gerne vil have",
            "Det svinger. Nogle gange har jeg en klar idé, andre gange ikke",
            "Jeg har en idé om, hvilke typer af job jeg gerne vil have",
            "Jeg ved lige, hvilket job jeg gerne vil have",
        )),
        Item(
            "energy",
            "Har du overskud i hverdagen til at fokusere på at få et arbejde/følge et "
            "aktiverings- eller uddannelsesforløb?",
            _bip(
                "Jeg kan næsten aldrig overskue at fokusere på det",
                "Jeg kan for det meste ikke overskue at fokusere på det",
                "Det svinger. Nogle gange kan jeg overskue det, andre gange ikke",
                "Jeg kan for det meste overskue at fokusere på det",
                "Jeg kan sagtens overskue at fokusere på det",
            ),
        ),
        Item(
            "health_for_work",
            "Hvordan vil du alt i alt vurdere dit fysiske og psykiske helbred i forhold til at "
            "kunne varetage et arbejde?",
            _bip(
                "Mit helbred forhindrer, at jeg kan arbejde",
                "Mit helbred sætter store begrænsninger for, at jeg kan arbejde. Jeg vil måske "
                "kunne varetage et job på få timer",
                "Det svinger. Indimellem gør mit helbred det svært at arbejde. Jeg vil måske "
                "kunne varetage et job på deltid/halv tid med den rette form for hjælp og støtte",
                "Mit helbred er ikke i vejen for, at jeg kan arbejde, men kan sætte enkelte "
                "begrænsninger",
                "Mit helbred er ikke i vejen for, at jeg kan arbejde",
            ),
        ),
        Item("skills_useful", "Tror du dine kompetencer kan bruges på en arbejdsplads?", _bip(
            "Jeg tror ikke, at jeg har noget at tilbyde en arbejdsplads",
            "Jeg tvivler meget på, at jeg har noget at tilbyde en arbejdsplads",
            "Det svinger meget. Jeg er indimellem usikker på om jeg har noget at tilbyde en "
            "arbejdsplads",
            "Jeg er for det meste sikker på, at jeg har noget at tilbyde en arbejdsplads",
            "Jeg er sikker på, at jeg har masser at tilbyde en arbejdsplads",
        )),
        Item("can_manage_job", "Tror du, at du kan klare et arbejde?", _bip(
            "Jeg tror slet ikke, jeg kan klare at arbejde",
            "Jeg tvivler meget på, at jeg kan klare at arbejde",
            "Jeg er usikker på, om jeg kan klare at arbejde",
            "Jeg er nogenlunde sikker på, at jeg kan klare at arbejde",
            "Jeg er helt sikker på, at jeg kan klare at arbejde",
        )),
        Item(
            "knows_next_steps",
            "Ved du, hvad du skal gøre for at forbedre dine muligheder for at få et arbejde?",
            _bip(
                "Jeg ved ikke, hvordan jeg kan nærme mig et job",
                "Jeg ved kun lidt om, hvordan jeg kan nærme mig et job",
                "Jeg ved nogenlunde, hvordan jeg kan nærme mig et job, men er også noget i tvivl",
                "Jeg ved en del om, hvad jeg skal gøre for at nærme mig et job",
                "Jeg ved helt klart, hvad jeg skal gøre for at nærme mig et job",
            ),
        ),
    ),
)  # fmt: skip

BIP_STAFF_V1 = Instrument(
    "bip_staff", 1, STAFF, "BIP-indikatorer, medarbejder (forloebs første udgave)",
    tuple(
        Item(key, f"BIP: {key.replace('_', ' ')}", BIP_LEVELS)
        for key in ("work_readiness", "professional_skills", "social_skills", "health_limits")
    ),
)  # fmt: skip
"""The four staff indicators forloeb asked before VIVE's questions (not VIVE's wordings)."""

BIP_STAFF_V2 = Instrument(
    "bip_staff", 2, STAFF, "BIP-indikatorer, medarbejderrettede spørgsmål",
    (
        Item(
            "realistic_skills",
            "Har borgeren en realistisk forståelse af, hvor på arbejdsmarkedet hans/hendes "
            "kompetencer kan bruges?",
            _bip(
                "Jobønsker er meget urealistiske i forhold til borgerens kompetencer, eller "
                "borger har ingen jobønsker",
                "Jobønsker er oftest urealistiske i forhold til borgerens kompetencer",
                "Jobønsker svarer nogle gange til borgerens kompetencer, andre gange helt ved "
                "siden af",
                "Jobønsker svarer for det meste til borgerens kompetencer",
                "Jobønsker er realistiske i forhold til borgerens kompetencer",
            ),
        ),
        Item(
            "goal_directed",
            "I hvor høj grad handler borgeren målrettet ift. at komme i job?",
            _bip(
                "Handler aldrig eller næsten aldrig målrettet i forhold til at komme i job",
                "Handler sjældent målrettet ift. at komme i job, men det kan forekomme",
                "Det svinger. Handler nogle gange målrettet, andre gange ikke",
                "Handler oftest målrettet i forhold til at komme i job",
                "Handler meget målrettet i forhold til at komme i job",
            ),
        ),
        Item(
            "concentration",
            "Hvordan vurderer du borgerens evne til at koncentrere sig om en opgave uden at "
            "lade sig distrahere?",
            _bip(
                "Har rigtig svært ved at koncentrere sig om opgaver. Lader sig meget hurtigt og "
                "nemt distrahere",
                "Kan koncentrere sig i meget korte perioder af gangen, lader sig nemt distrahere",
                "Det svinger. Nogle gange god til at koncentrere sig, andre gange ikke",
                "For det meste god til at fastholde koncentrationen om opgaver",
                "Meget god til at fastholde koncentrationen om opgaver",
            ),
        ),
        Item(
            "everyday_and_job",
            "I hvor høj grad kan borgeren mestre egen hverdag og samtidig have fokus på at få "
            "et arbejde/følge et uddannelses- eller aktiveringsforløb?",
            _bip(
                "Hverdagsopgaver fylder på en måde, så det oftest forhindrer fokus på at få et "
                "job",
                "Hverdagsforpligtelser fylder på en måde, så fokus på job begrænses",
                "Det svinger. Nogle gange er hverdagsforpligtelser en forhindring, andre gange "
                "ikke",
                "Hverdagsforpligtelser er for det meste ingen forhindring for arbejde",
                "Hverdagsforpligtelser er på ingen måde nogen forhindring for arbejde",
            ),
        ),
    ),
)  # fmt: skip

_MISUSE = "Har borgeren efter din vurdering et misbrug af.... "
_ABLE_TO = "Er borgeren efter din vurdering i stand til at.... "
_SHARED_STAFF_ITEMS = (
    Item("psychiatric_diagnosis", "Psykiatrisk diagnose", YES_NO_DONT_KNOW),
    Item("prescribed_medication", "Lægeordineret medicin for psykiske problemer", YES_NO_DONT_KNOW),
    Item("alcohol", _MISUSE + "Alkohol", SUBSTANCE),
    Item("cannabis", _MISUSE + "Hash", SUBSTANCE),
    Item("hard_drugs", _MISUSE + "Hårde stoffer", SUBSTANCE),
)
_NETWORK = "Deltagelse i et netværksmøde inden for de seneste 3 måneder"

STAFF_ASSESSMENT_V1 = Instrument(
    "staff_assessment", 1, STAFF, "Medarbejderskema (forloebs første udgave)",
    (
        *_SHARED_STAFF_ITEMS,
        Item("daily_functioning", "Daglig funktion (BIP-niveau 1-5)", BIP_LEVELS),
        Item("network_meeting_last_3_months", _NETWORK, YES_NO_DONT_KNOW),
    ),
)  # fmt: skip

STAFF_ASSESSMENT_V2 = Instrument(
    "staff_assessment", 2, STAFF, "Medarbejderskema",
    (
        *_SHARED_STAFF_ITEMS,
        Item(
            "mental_problems_limit",
            "Har borgeren efter din vurdering psykiske problemer, der begrænser hans/hendes "
            "hverdag?",
            LIMITS,
        ),
        Item(
            "physical_problems_limit",
            "Har borgeren efter din vurdering fysiske helbredsmæssige gener, der begrænser "
            "hans/hendes hverdag?",
            LIMITS,
        ),
        Item("everyday_functions", _ABLE_TO + "Varetage dagligdags funktioner", ABLE),
        Item("own_economy", _ABLE_TO + "Håndtere sin økonomi", ABLE),
        Item(
            "support_system",
            _ABLE_TO + "Benytte det eksisterende behandlings- og støttesystem",
            ABLE,
        ),
        Item("network_meeting_last_3_months", _NETWORK, YES_NO),
        Item("session_frequency", "Hyppigheden af de individuelle samtaler", FREQUENCY),
    ),
)  # fmt: skip
"""Version 2: VIVE's full staff form. Daily functioning is now asked as self-reliance on
VIVE's four-step scale (a different question, so version-1 answers stay version 1), and
"don't know" is no longer an answer to the network question."""

BACKGROUND_V1 = Instrument(
    "background", 1, STAFF, "Baggrund",
    (
        Item("sex", "Køn", SEX, required=True),
        Item("nationality", "Nationalitet", NATIONALITY, required=True),
    ),
)  # fmt: skip

INSTRUMENTS: tuple[Instrument, ...] = (
    SELF_RATED_HEALTH_V1,
    WHO5_V1,
    BIP_CITIZEN_V1,
    BIP_CITIZEN_V2,
    BIP_STAFF_V1,
    BIP_STAFF_V2,
    STAFF_ASSESSMENT_V1,
    STAFF_ASSESSMENT_V2,
    BACKGROUND_V1,
)
"""Every version of every instrument forloeb knows."""

BY_ID: dict[tuple[str, int], Instrument] = {(i.id, i.version): i for i in INSTRUMENTS}


@cache
def latest(instrument_id: str) -> Instrument:
    """The newest version of an instrument (ValueError if forloeb has none)."""
    versions = newest_first(instrument_id)
    if not versions:
        raise ValueError(f"unknown instrument {instrument_id}")
    return versions[0]


@cache
def newest_first(instrument_id: str) -> tuple[Instrument, ...]:
    """Every version of an instrument, the newest first."""
    found = (i for i in INSTRUMENTS if i.id == instrument_id)
    return tuple(sorted(found, key=lambda i: i.version, reverse=True))


def instrument(instrument_id: str, version: int) -> Instrument:
    """One version of an instrument (ValueError if forloeb has no such version)."""
    try:
        return BY_ID[(instrument_id, version)]
    except KeyError:
        known = sorted({i.id for i in INSTRUMENTS})
        if instrument_id not in known:
            raise ValueError(
                f"unknown instrument {instrument_id} (known: {', '.join(known)})"
            ) from None
        raise ValueError(f"{instrument_id} has no version {version}") from None


@cache
def on_form(form: str) -> tuple[str, ...]:
    """The ids of the instruments asked on a form (the definitions are constant: cached)."""
    return tuple(dict.fromkeys(i.id for i in INSTRUMENTS if i.form == form))


# Flat answers -------------------------------------------------------------------

_NESTED: dict[str, tuple[str, ...]] = {
    "self_rated_health": (),
    "who5": ("who5",),
    "bip_citizen": ("bip",),
    "bip_staff": ("bip",),
    "staff_assessment": ("staff",),
    "background": ("background",),
}
"""Where each instrument's answers sit in the answers payload (() = at the top)."""
_SUBSTANCES = ("alcohol", "cannabis", "hard_drugs")
_SCALARS = frozenset({str, int, float, bool})
"""Answer types known not to be mappings (the isinstance test against `Mapping` is slow)."""


def answers_of(instrument_id: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """One instrument's answers (item key -> value) from an answers payload."""
    node: Any = payload
    for name in _NESTED[instrument_id]:  # (a dict first: faster than testing for a Mapping)
        node = node.get(name) if type(node) is dict or isinstance(node, Mapping) else None
    if not (type(node) is dict or isinstance(node, Mapping)):
        return {}
    if instrument_id == "self_rated_health":
        return {k: node[k] for k in ("mental_health", "physical_health") if node.get(k) is not None}
    found = {
        k: v
        for k, v in node.items()
        if v is not None and (type(v) in _SCALARS or not isinstance(v, Mapping))
    }
    if instrument_id == "staff_assessment":
        found.update({k: v for k, v in (node.get("substance_use") or {}).items() if v is not None})
    return found


def flatten(payload: Mapping[str, Any], form: str) -> dict[str, Any]:
    """Every answer on a form as `instrument.item` -> value (answered items only)."""
    return {
        f"{instrument_id}.{key}": value
        for instrument_id in on_form(form)
        for key, value in answers_of(instrument_id, payload).items()
    }


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """The answers payload parts `flatten` read (its inverse, up to unanswered items)."""
    payload: dict[str, Any] = {}
    for name, value in flat.items():
        instrument_id, key = name.split(".", 1)
        node = payload
        path = _NESTED[instrument_id]
        if instrument_id == "staff_assessment" and key in _SUBSTANCES:
            path = (*path, "substance_use")
        for part in path:
            node = node.setdefault(part, {})
        node[key] = value
    return payload


def infer_versions(form: str, payload: Mapping[str, Any]) -> dict[str, int]:
    """For answers that do not say: each answered instrument's newest version that holds
    them (ValueError with the newest version's reason where none does). The versions
    returned hold the answers: `check` would pass them."""
    versions = {}
    for instrument_id in on_form(form):
        answered = answers_of(instrument_id, payload)
        if answered:
            versions[instrument_id] = _newest_holding(instrument_id, answered)
    return versions


def _newest_holding(instrument_id: str, answers: Mapping[str, Any]) -> int:
    refusal: ValueError | None = None
    for version in newest_first(instrument_id):
        try:
            version.check(answers)
        except ValueError as error:
            refusal = refusal or error
            continue
        return version.version
    assert refusal is not None  # every instrument has a version
    raise refusal


def check(form: str, versions: Mapping[str, int], payload: Mapping[str, Any]) -> None:
    """Refuse answers that the instrument versions named cannot hold (ValueError)."""
    allowed = on_form(form)
    for instrument_id, version in versions.items():
        if instrument_id not in allowed:
            raise ValueError(f"{instrument_id} is not asked on the {form} form")
        instrument(instrument_id, version)
    for instrument_id in allowed:
        answered = answers_of(instrument_id, payload)
        if not answered:
            continue
        asked = versions.get(instrument_id)
        if asked is None:
            raise ValueError(f"answers to {instrument_id} do not say which version was asked")
        instrument(instrument_id, asked).check(answered)
