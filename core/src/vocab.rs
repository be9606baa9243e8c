//! The closed vocabularies of the domain. Each value has an English identifier (the stored and
//! API form) and a Dutch and English label for display.

use serde::{Deserialize, Serialize};

/// Language of labels, reports and messages meant for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Nl,
    En,
}

/// A closed set of values with labels in both languages.
pub trait Vocabulary: Sized + Copy + 'static {
    const ALL: &'static [Self];
    /// The vocabulary as data: its name and every value with its labels.
    const TABLE: VocabularyTable;
    fn id(self) -> &'static str;
    fn label_nl(self) -> &'static str;
    fn label_en(self) -> &'static str;
    fn label(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Nl => self.label_nl(),
            Lang::En => self.label_en(),
        }
    }
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.id() == s)
    }
}

/// One vocabulary as data: its name (the snake case of its type's name) and its values in
/// declaration order, for clients that show or check them (the API's `/vocabulary`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct VocabularyTable {
    pub name: &'static str,
    pub entries: &'static [VocabularyEntry],
}

/// One value of a vocabulary: its identifier and its labels.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct VocabularyEntry {
    pub id: &'static str,
    pub nl: &'static str,
    pub en: &'static str,
}

/// Defines every vocabulary and the list of them all, [`VOCABULARIES`], from one invocation, so
/// that a vocabulary added here is listed without a second edit.
macro_rules! vocabularies {
    ($(
        $(#[$m:meta])* $name:ident = $snake:literal { $($variant:ident = $id:literal, $nl:literal, $en:literal;)+ }
    )+) => {
        $(
            $(#[$m])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
            pub enum $name {
                $(#[serde(rename = $id)] $variant,)+
            }
            impl Vocabulary for $name {
                const ALL: &'static [Self] = &[$($name::$variant),+];
                const TABLE: VocabularyTable = VocabularyTable {
                    name: $snake,
                    entries: &[$(VocabularyEntry { id: $id, nl: $nl, en: $en }),+],
                };
                fn id(self) -> &'static str { match self { $($name::$variant => $id,)+ } }
                fn label_nl(self) -> &'static str { match self { $($name::$variant => $nl,)+ } }
                fn label_en(self) -> &'static str { match self { $($name::$variant => $en,)+ } }
            }
            /// The identifiers, for the API's OpenAPI document.
            impl schemars::JsonSchema for $name {
                fn schema_name() -> std::borrow::Cow<'static, str> { stringify!($name).into() }
                fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                    schemars::json_schema!({"type": "string", "enum": [$($id),+]})
                }
            }
        )+
        /// Every vocabulary, in the order they are defined.
        pub const VOCABULARIES: &[VocabularyTable] = &[$(<$name as Vocabulary>::TABLE),+];
    };
}

vocabularies! {
    /// Level of analysis in the study.
    Level = "level" {
        Municipality = "gemeente", "gemeente", "municipality";
        Role = "functie", "functie", "role";
        Neighbourhood = "wijk", "wijk", "neighbourhood";
    }

    /// What a participant is in the study or the field.
    ParticipantRole = "participant_role" {
        Researcher = "researcher", "onderzoeker", "researcher";
        Makelaar = "makelaar", "sociaal makelaar", "community broker";
        CityCoach = "city_coach", "stadsbrede makelaar / teamcoach", "city-wide coach";
        SocialWorker = "social_worker", "sociaal werker", "social worker";
        AreaDirector = "area_director", "gebiedsregisseur", "area director";
        MunicipalityOfficer = "municipality_officer", "beleidsmedewerker gemeente", "municipality officer";
        Resident = "resident", "bewoner", "resident";
        Volunteer = "volunteer", "vrijwilliger", "volunteer";
        Organisation = "organisation", "organisatie", "organisation";
    }

    /// How someone came to take part.
    Recruitment = "recruitment" {
        OwnInitiative = "own_initiative", "uit eigen beweging", "on their own initiative";
        BrokerRequest = "broker_request", "op verzoek van de makelaar", "at the broker's request";
        Organisation = "organisation", "via een organisatie", "through an organisation";
    }

    /// What an area is.
    AreaKind = "area_kind" {
        City = "city", "stad", "city";
        District = "district", "gebied", "district";
        Neighbourhood = "neighbourhood", "buurt", "neighbourhood";
    }

    /// How an initiative came about.
    Route = "route" {
        Signal = "signal", "signaal", "signal";
        Opportunity = "opportunity", "kans", "opportunity";
    }

    /// The broker's role in an initiative.
    BrokerRole = "broker_role" {
        KickStart = "kick_start", "aanjagen", "kick-start";
        Connect = "connect", "verbinden", "connect";
        Support = "support", "ondersteunen", "support";
        Facilitate = "facilitate", "faciliteren", "facilitate";
        Mobilise = "mobilise", "mobiliseren", "mobilise";
        LetGo = "let_go", "loslaten", "let go";
    }

    /// Stage of an initiative's approach. Hand-over and stopping are events of their own.
    InitiativeStage = "initiative_stage" {
        Inventory = "inventory", "inventarisatie", "inventory";
        BringingTogether = "bringing_together", "mensen bij elkaar brengen", "bringing people together";
        Action = "action", "actiefase", "action";
        Anchoring = "anchoring", "borging", "anchoring";
    }

    /// Kind of insight from a reflection.
    InsightKind = "insight_kind" {
        Success = "success", "succes", "success";
        Pitfall = "pitfall", "valkuil", "pitfall";
        Tip = "tip", "tip", "tip";
        Question = "question", "open vraag", "open question";
        AddedValue = "added_value", "meerwaarde", "added value";
    }

    /// Groups for which added value is described.
    StakeholderGroup = "stakeholder_group" {
        Residents = "residents", "buurtbewoners", "residents";
        Neighbourhood = "neighbourhood", "wijk", "neighbourhood";
        SocialTeam = "social_team", "sociaal team", "social team";
        Organisations = "organisations", "organisaties", "organisations";
        Municipality = "municipality", "gemeente", "municipality";
    }

    /// The six dimensions of Positive Health (Huber).
    HealthDimension = "health_dimension" {
        BodilyFunctions = "bodily_functions", "lichaamsfuncties", "bodily functions";
        MentalWellbeing = "mental_wellbeing", "mentaal welbevinden", "mental well-being";
        Meaningfulness = "meaningfulness", "zingeving", "meaningfulness";
        QualityOfLife = "quality_of_life", "kwaliteit van leven", "quality of life";
        Participation = "participation", "meedoen", "participation";
        DailyFunctioning = "daily_functioning", "dagelijks functioneren", "daily functioning";
    }
}
