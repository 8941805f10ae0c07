"""ISO 3166-1 countries: alpha-2, alpha-3, English names and Russian names, for reading the country cells of
traffic files ("US", "USA", "United States", "США" all read as "US").

Generated once from the Debian iso-codes tables (iso_3166-1.json and its Russian translation), then extended
by hand with the names exports actually use (COMMON_NAMES). Data, not logic: keep it sorted by alpha-2.
"""

# alpha-2, alpha-3, names (English official and common, Russian)
COUNTRIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "AD",
        "AND",
        (
            "Andorra",
            "Principality of Andorra",
            "Андорра",
            "Княжество Андорра",
        ),
    ),
    (
        "AE",
        "ARE",
        (
            "United Arab Emirates",
            "Объединённые Арабские Эмираты",
        ),
    ),
    (
        "AF",
        "AFG",
        (
            "Afghanistan",
            "Islamic Republic of Afghanistan",
            "Афганистан",
            "Исламская Республика Афганистан",
        ),
    ),
    (
        "AG",
        "ATG",
        (
            "Antigua and Barbuda",
            "Антигуа и Барбуда",
        ),
    ),
    (
        "AI",
        "AIA",
        (
            "Anguilla",
            "Ангвилла",
        ),
    ),
    (
        "AL",
        "ALB",
        (
            "Albania",
            "Republic of Albania",
            "Албания",
            "Республика Албания",
        ),
    ),
    (
        "AM",
        "ARM",
        (
            "Armenia",
            "Republic of Armenia",
            "Армения",
            "Республика Армения",
        ),
    ),
    (
        "AO",
        "AGO",
        (
            "Angola",
            "Republic of Angola",
            "Ангола",
            "Республика Ангола",
        ),
    ),
    (
        "AQ",
        "ATA",
        (
            "Antarctica",
            "Антарктика",
        ),
    ),
    (
        "AR",
        "ARG",
        (
            "Argentina",
            "Argentine Republic",
            "Аргентина",
            "Аргентинская Республика",
        ),
    ),
    (
        "AS",
        "ASM",
        (
            "American Samoa",
            "Американские Самоа",
        ),
    ),
    (
        "AT",
        "AUT",
        (
            "Austria",
            "Republic of Austria",
            "Австрия",
            "Австрийская Республика",
        ),
    ),
    (
        "AU",
        "AUS",
        (
            "Australia",
            "Австралия",
        ),
    ),
    (
        "AW",
        "ABW",
        (
            "Aruba",
            "Аруба",
        ),
    ),
    (
        "AX",
        "ALA",
        (
            "Åland Islands",
            "Аландские острова",
        ),
    ),
    (
        "AZ",
        "AZE",
        (
            "Azerbaijan",
            "Republic of Azerbaijan",
            "Азербайджан",
            "Республика Азербайджан",
        ),
    ),
    (
        "BA",
        "BIH",
        (
            "Bosnia and Herzegovina",
            "Republic of Bosnia and Herzegovina",
            "Босния и Герцеговина",
            "Республика Босния и Герцеговина",
        ),
    ),
    (
        "BB",
        "BRB",
        (
            "Barbados",
            "Барбадос",
        ),
    ),
    (
        "BD",
        "BGD",
        (
            "Bangladesh",
            "People's Republic of Bangladesh",
            "Бангладеш",
            "Народная Республика Бангладеш",
        ),
    ),
    (
        "BE",
        "BEL",
        (
            "Belgium",
            "Kingdom of Belgium",
            "Бельгия",
            "Королевство Бельгия",
        ),
    ),
    (
        "BF",
        "BFA",
        (
            "Burkina Faso",
            "Буркина-Фасо",
        ),
    ),
    (
        "BG",
        "BGR",
        (
            "Bulgaria",
            "Republic of Bulgaria",
            "Болгария",
            "Республика Болгария",
        ),
    ),
    (
        "BH",
        "BHR",
        (
            "Bahrain",
            "Kingdom of Bahrain",
            "Бахрейн",
            "Королевство Бахрейн",
        ),
    ),
    (
        "BI",
        "BDI",
        (
            "Burundi",
            "Republic of Burundi",
            "Бурунди",
            "Республика Бурунди",
        ),
    ),
    (
        "BJ",
        "BEN",
        (
            "Benin",
            "Republic of Benin",
            "Бенин",
            "Республика Бенин",
        ),
    ),
    (
        "BL",
        "BLM",
        (
            "Saint Barthélemy",
            "Сен-Бартельми",
        ),
    ),
    (
        "BM",
        "BMU",
        (
            "Bermuda",
            "Бермуды",
        ),
    ),
    (
        "BN",
        "BRN",
        (
            "Brunei Darussalam",
            "Бруней Даруссалам",
        ),
    ),
    (
        "BO",
        "BOL",
        (
            "Bolivia, Plurinational State of",
            "Bolivia",
            "Plurinational State of Bolivia",
            "Боливия",
            "Многонациональное Государство Боливия",
        ),
    ),
    (
        "BQ",
        "BES",
        (
            "Bonaire, Sint Eustatius and Saba",
            "Бонайре, Синт-Эстатиус и Саба",
        ),
    ),
    (
        "BR",
        "BRA",
        (
            "Brazil",
            "Federative Republic of Brazil",
            "Бразилия",
            "Федеративная Республика Бразилия",
        ),
    ),
    (
        "BS",
        "BHS",
        (
            "Bahamas",
            "Commonwealth of the Bahamas",
            "Багамы",
            "Содружество Багамских Островов",
        ),
    ),
    (
        "BT",
        "BTN",
        (
            "Bhutan",
            "Kingdom of Bhutan",
            "Бутан",
            "Королевство Бутан",
        ),
    ),
    (
        "BV",
        "BVT",
        (
            "Bouvet Island",
            "Остров Буве",
        ),
    ),
    (
        "BW",
        "BWA",
        (
            "Botswana",
            "Republic of Botswana",
            "Ботсвана",
            "Республика Ботсвана",
        ),
    ),
    (
        "BY",
        "BLR",
        (
            "Belarus",
            "Republic of Belarus",
            "Беларусь",
            "Республика Беларусь",
        ),
    ),
    (
        "BZ",
        "BLZ",
        (
            "Belize",
            "Белиз",
        ),
    ),
    (
        "CA",
        "CAN",
        (
            "Canada",
            "Канада",
        ),
    ),
    (
        "CC",
        "CCK",
        (
            "Cocos (Keeling) Islands",
            "Кокосовые острова",
        ),
    ),
    (
        "CD",
        "COD",
        (
            "Congo, The Democratic Republic of the",
            "Демократическая Республика Конго",
        ),
    ),
    (
        "CF",
        "CAF",
        (
            "Central African Republic",
            "Центрально-африканская республика",
        ),
    ),
    (
        "CG",
        "COG",
        (
            "Congo",
            "Republic of the Congo",
            "Конго",
            "Республика Конго",
        ),
    ),
    (
        "CH",
        "CHE",
        (
            "Switzerland",
            "Swiss Confederation",
            "Швейцария",
            "Швейцарская Конфедерация",
        ),
    ),
    (
        "CI",
        "CIV",
        (
            "Côte d'Ivoire",
            "Republic of Côte d'Ivoire",
            "Кот-д'Ивуар",
            "Республика Кот-д'Ивуар",
        ),
    ),
    (
        "CK",
        "COK",
        (
            "Cook Islands",
            "Острова Кука",
        ),
    ),
    (
        "CL",
        "CHL",
        (
            "Chile",
            "Republic of Chile",
            "Чили",
            "Республика Чили",
        ),
    ),
    (
        "CM",
        "CMR",
        (
            "Cameroon",
            "Republic of Cameroon",
            "Камерун",
            "Республика Камерун",
        ),
    ),
    (
        "CN",
        "CHN",
        (
            "China",
            "People's Republic of China",
            "Китай",
            "Китайская Народная Республика",
        ),
    ),
    (
        "CO",
        "COL",
        (
            "Colombia",
            "Republic of Colombia",
            "Колумбия",
            "Республика Колумбия",
        ),
    ),
    (
        "CR",
        "CRI",
        (
            "Costa Rica",
            "Republic of Costa Rica",
            "Коста-Рика",
            "Республика Коста-Рика",
        ),
    ),
    (
        "CU",
        "CUB",
        (
            "Cuba",
            "Republic of Cuba",
            "Куба",
            "Республика Куба",
        ),
    ),
    (
        "CV",
        "CPV",
        (
            "Cabo Verde",
            "Republic of Cabo Verde",
            "Кабо-Верде",
            "Республика Кабо-Верде",
        ),
    ),
    (
        "CW",
        "CUW",
        (
            "Curaçao",
            "Кюрасао",
        ),
    ),
    (
        "CX",
        "CXR",
        (
            "Christmas Island",
            "Остров Рождества",
        ),
    ),
    (
        "CY",
        "CYP",
        (
            "Cyprus",
            "Republic of Cyprus",
            "Кипр",
            "Республика Кипр",
        ),
    ),
    (
        "CZ",
        "CZE",
        (
            "Czechia",
            "Czech Republic",
            "Чехия",
            "Чешская Республика",
        ),
    ),
    (
        "DE",
        "DEU",
        (
            "Germany",
            "Federal Republic of Germany",
            "Германия",
            "Федеративная Республика Германия",
        ),
    ),
    (
        "DJ",
        "DJI",
        (
            "Djibouti",
            "Republic of Djibouti",
            "Джибути",
            "Республика Джибути",
        ),
    ),
    (
        "DK",
        "DNK",
        (
            "Denmark",
            "Kingdom of Denmark",
            "Дания",
            "Королевство Дания",
        ),
    ),
    (
        "DM",
        "DMA",
        (
            "Dominica",
            "Commonwealth of Dominica",
            "Доминика",
            "Содружество Доминики",
        ),
    ),
    (
        "DO",
        "DOM",
        (
            "Dominican Republic",
            "Доминиканская республика",
        ),
    ),
    (
        "DZ",
        "DZA",
        (
            "Algeria",
            "People's Democratic Republic of Algeria",
            "Алжир",
            "Алжирская Народная Демократическая Республика",
        ),
    ),
    (
        "EC",
        "ECU",
        (
            "Ecuador",
            "Republic of Ecuador",
            "Эквадор",
            "Республика Эквадор",
        ),
    ),
    (
        "EE",
        "EST",
        (
            "Estonia",
            "Republic of Estonia",
            "Эстония",
            "Эстонская Республика",
        ),
    ),
    (
        "EG",
        "EGY",
        (
            "Egypt",
            "Arab Republic of Egypt",
            "Египет",
            "Арабская Республика Египет",
        ),
    ),
    (
        "EH",
        "ESH",
        (
            "Western Sahara",
            "Западная Сахара",
        ),
    ),
    (
        "ER",
        "ERI",
        (
            "Eritrea",
            "the State of Eritrea",
            "Эритрея",
            "Государство Эритрея",
        ),
    ),
    (
        "ES",
        "ESP",
        (
            "Spain",
            "Kingdom of Spain",
            "Испания",
            "Королевство Испания",
        ),
    ),
    (
        "ET",
        "ETH",
        (
            "Ethiopia",
            "Federal Democratic Republic of Ethiopia",
            "Эфиопия",
            "Федеративная Демократическая Республика Эфиопия",
        ),
    ),
    (
        "FI",
        "FIN",
        (
            "Finland",
            "Republic of Finland",
            "Финляндия",
            "Финляндская Республика",
        ),
    ),
    (
        "FJ",
        "FJI",
        (
            "Fiji",
            "Republic of Fiji",
            "Фиджи",
            "Республика Фиджи",
        ),
    ),
    (
        "FK",
        "FLK",
        (
            "Falkland Islands (Malvinas)",
            "Фолклендские (Мальвинские) острова",
        ),
    ),
    (
        "FM",
        "FSM",
        (
            "Micronesia, Federated States of",
            "Federated States of Micronesia",
            "Федеративные Штаты Микронезии",
        ),
    ),
    (
        "FO",
        "FRO",
        (
            "Faroe Islands",
            "Фарерские острова",
        ),
    ),
    (
        "FR",
        "FRA",
        (
            "France",
            "French Republic",
            "Франция",
            "Французская Республика",
        ),
    ),
    (
        "GA",
        "GAB",
        (
            "Gabon",
            "Gabonese Republic",
            "Габон",
            "Габонская Республика",
        ),
    ),
    (
        "GB",
        "GBR",
        (
            "United Kingdom",
            "United Kingdom of Great Britain and Northern Ireland",
            "Соединённое Королевство",
            "Соединённое Королевство Великобритании и Северной Ирландии",
        ),
    ),
    (
        "GD",
        "GRD",
        (
            "Grenada",
            "Гренада",
        ),
    ),
    (
        "GE",
        "GEO",
        (
            "Georgia",
            "Грузия",
        ),
    ),
    (
        "GF",
        "GUF",
        (
            "French Guiana",
            "Французская Гвиана",
        ),
    ),
    (
        "GG",
        "GGY",
        (
            "Guernsey",
            "Гернси",
        ),
    ),
    (
        "GH",
        "GHA",
        (
            "Ghana",
            "Republic of Ghana",
            "Гана",
            "Республика Гана",
        ),
    ),
    (
        "GI",
        "GIB",
        (
            "Gibraltar",
            "Гибралтар",
        ),
    ),
    (
        "GL",
        "GRL",
        (
            "Greenland",
            "Гренландия",
        ),
    ),
    (
        "GM",
        "GMB",
        (
            "Gambia",
            "Republic of the Gambia",
            "Гамбия",
            "Республика Гамбия",
        ),
    ),
    (
        "GN",
        "GIN",
        (
            "Guinea",
            "Republic of Guinea",
            "Гвинея",
            "Гвинейская Республика",
        ),
    ),
    (
        "GP",
        "GLP",
        (
            "Guadeloupe",
            "Гваделупа",
        ),
    ),
    (
        "GQ",
        "GNQ",
        (
            "Equatorial Guinea",
            "Republic of Equatorial Guinea",
            "Экваториальная Гвинея",
            "Республика Экваториальная Гвинея",
        ),
    ),
    (
        "GR",
        "GRC",
        (
            "Greece",
            "Hellenic Republic",
            "Греция",
            "Греческая Республика",
        ),
    ),
    (
        "GS",
        "SGS",
        (
            "South Georgia and the South Sandwich Islands",
            "Южная Джорджия и Южные Сандвичевы острова",
        ),
    ),
    (
        "GT",
        "GTM",
        (
            "Guatemala",
            "Republic of Guatemala",
            "Гватемала",
            "Республика Гватемала",
        ),
    ),
    (
        "GU",
        "GUM",
        (
            "Guam",
            "Гуам",
        ),
    ),
    (
        "GW",
        "GNB",
        (
            "Guinea-Bissau",
            "Republic of Guinea-Bissau",
            "Гвинея-Бисау",
            "Республика Гвинея-Бисау",
        ),
    ),
    (
        "GY",
        "GUY",
        (
            "Guyana",
            "Republic of Guyana",
            "Гайана",
            "Республика Гайана",
        ),
    ),
    (
        "HK",
        "HKG",
        (
            "Hong Kong",
            "Hong Kong Special Administrative Region of China",
            "Гонконг",
            "Осо́бый административный район Гонконг",
        ),
    ),
    (
        "HM",
        "HMD",
        (
            "Heard Island and McDonald Islands",
            "Остров Херд и острова МакДональд",
        ),
    ),
    (
        "HN",
        "HND",
        (
            "Honduras",
            "Republic of Honduras",
            "Гондурас",
            "Республика Гондурас",
        ),
    ),
    (
        "HR",
        "HRV",
        (
            "Croatia",
            "Republic of Croatia",
            "Хорватия",
            "Республика Хорватия",
        ),
    ),
    (
        "HT",
        "HTI",
        (
            "Haiti",
            "Republic of Haiti",
            "Гаити",
            "Республика Гаити",
        ),
    ),
    (
        "HU",
        "HUN",
        (
            "Hungary",
            "Венгрия",
        ),
    ),
    (
        "ID",
        "IDN",
        (
            "Indonesia",
            "Republic of Indonesia",
            "Индонезия",
            "Республика Индонезия",
        ),
    ),
    (
        "IE",
        "IRL",
        (
            "Ireland",
            "Ирландия",
        ),
    ),
    (
        "IL",
        "ISR",
        (
            "Israel",
            "State of Israel",
            "Израиль",
            "Государство Израиль",
        ),
    ),
    (
        "IM",
        "IMN",
        (
            "Isle of Man",
            "Остров Мэн",
        ),
    ),
    (
        "IN",
        "IND",
        (
            "India",
            "Republic of India",
            "Индия",
            "Республика Индия",
        ),
    ),
    (
        "IO",
        "IOT",
        (
            "British Indian Ocean Territory",
            "Британская территория Индийского океана",
        ),
    ),
    (
        "IQ",
        "IRQ",
        (
            "Iraq",
            "Republic of Iraq",
            "Ирак",
            "Иракская Республика",
        ),
    ),
    (
        "IR",
        "IRN",
        (
            "Iran, Islamic Republic of",
            "Iran",
            "Islamic Republic of Iran",
            "Иран",
            "Исламская Респу́блика Иран",
        ),
    ),
    (
        "IS",
        "ISL",
        (
            "Iceland",
            "Republic of Iceland",
            "Исландия",
            "Республика Исландия",
        ),
    ),
    (
        "IT",
        "ITA",
        (
            "Italy",
            "Italian Republic",
            "Италия",
            "Итальянская Республика",
        ),
    ),
    (
        "JE",
        "JEY",
        (
            "Jersey",
            "Джерси",
        ),
    ),
    (
        "JM",
        "JAM",
        (
            "Jamaica",
            "Ямайка",
        ),
    ),
    (
        "JO",
        "JOR",
        (
            "Jordan",
            "Hashemite Kingdom of Jordan",
            "Иордания",
            "Иорданское Хашимитское Королевство",
        ),
    ),
    (
        "JP",
        "JPN",
        (
            "Japan",
            "Япония",
        ),
    ),
    (
        "KE",
        "KEN",
        (
            "Kenya",
            "Republic of Kenya",
            "Кения",
            "Республика Кения",
        ),
    ),
    (
        "KG",
        "KGZ",
        (
            "Kyrgyzstan",
            "Kyrgyz Republic",
            "Киргизия",
            "Республика Кыргызстан",
        ),
    ),
    (
        "KH",
        "KHM",
        (
            "Cambodia",
            "Kingdom of Cambodia",
            "Камбоджа",
            "Королевство Камбоджа",
        ),
    ),
    (
        "KI",
        "KIR",
        (
            "Kiribati",
            "Republic of Kiribati",
            "Кирибати",
            "Республика Кирибати",
        ),
    ),
    (
        "KM",
        "COM",
        (
            "Comoros",
            "Union of the Comoros",
            "Коморы",
            "Союз Коморских Островов",
        ),
    ),
    (
        "KN",
        "KNA",
        (
            "Saint Kitts and Nevis",
            "Сент-Китс и Невис",
        ),
    ),
    (
        "KP",
        "PRK",
        (
            "Korea, Democratic People's Republic of",
            "North Korea",
            "Democratic People's Republic of Korea",
            "Корейская Народно-Демократическая Республика",
            "Северная Корея",
        ),
    ),
    (
        "KR",
        "KOR",
        (
            "Korea, Republic of",
            "South Korea",
            "Республика Корея",
            "Южная Корея",
        ),
    ),
    (
        "KW",
        "KWT",
        (
            "Kuwait",
            "State of Kuwait",
            "Кувейт",
            "Государство Кувейт",
        ),
    ),
    (
        "KY",
        "CYM",
        (
            "Cayman Islands",
            "Каймановы острова",
        ),
    ),
    (
        "KZ",
        "KAZ",
        (
            "Kazakhstan",
            "Republic of Kazakhstan",
            "Казахстан",
            "Республика Казахстан",
        ),
    ),
    (
        "LA",
        "LAO",
        (
            "Lao People's Democratic Republic",
            "Laos",
            "Лаосская Народно-Демократическая Республика",
        ),
    ),
    (
        "LB",
        "LBN",
        (
            "Lebanon",
            "Lebanese Republic",
            "Ливан",
            "Ливанская Республика",
        ),
    ),
    (
        "LC",
        "LCA",
        (
            "Saint Lucia",
            "Сент-Люсия",
        ),
    ),
    (
        "LI",
        "LIE",
        (
            "Liechtenstein",
            "Principality of Liechtenstein",
            "Лихтенштейн",
            "Княжество Лихтенштейн",
        ),
    ),
    (
        "LK",
        "LKA",
        (
            "Sri Lanka",
            "Democratic Socialist Republic of Sri Lanka",
            "Шри-Ланка",
            "Демократическая Социалистическая Республика Шри-Ланка",
        ),
    ),
    (
        "LR",
        "LBR",
        (
            "Liberia",
            "Republic of Liberia",
            "Либерия",
            "Республика Либерия",
        ),
    ),
    (
        "LS",
        "LSO",
        (
            "Lesotho",
            "Kingdom of Lesotho",
            "Лесото",
            "Королевство Лесото",
        ),
    ),
    (
        "LT",
        "LTU",
        (
            "Lithuania",
            "Republic of Lithuania",
            "Литва",
            "Литовская Республика",
        ),
    ),
    (
        "LU",
        "LUX",
        (
            "Luxembourg",
            "Grand Duchy of Luxembourg",
            "Люксембург",
            "Великое Герцогство Люксембург",
        ),
    ),
    (
        "LV",
        "LVA",
        (
            "Latvia",
            "Republic of Latvia",
            "Латвия",
            "Латвийская Республика",
        ),
    ),
    (
        "LY",
        "LBY",
        (
            "Libya",
            "Ливия",
        ),
    ),
    (
        "MA",
        "MAR",
        (
            "Morocco",
            "Kingdom of Morocco",
            "Марокко",
            "Королевство Марокко",
        ),
    ),
    (
        "MC",
        "MCO",
        (
            "Monaco",
            "Principality of Monaco",
            "Монако",
            "Княжество Монако",
        ),
    ),
    (
        "MD",
        "MDA",
        (
            "Moldova, Republic of",
            "Moldova",
            "Republic of Moldova",
            "Республика Молдова",
            "Молдавия",
        ),
    ),
    (
        "ME",
        "MNE",
        (
            "Montenegro",
            "Черногория",
        ),
    ),
    (
        "MF",
        "MAF",
        (
            "Saint Martin (French part)",
            "Сен-Мартен (Франция)",
        ),
    ),
    (
        "MG",
        "MDG",
        (
            "Madagascar",
            "Republic of Madagascar",
            "Мадагаскар",
            "Республика Мадагаскар",
        ),
    ),
    (
        "MH",
        "MHL",
        (
            "Marshall Islands",
            "Republic of the Marshall Islands",
            "Маршалловы острова",
            "Респу́блика Маршалловы Острова",
        ),
    ),
    (
        "MK",
        "MKD",
        (
            "North Macedonia",
            "Republic of North Macedonia",
            "Северная Македония",
            "Республика Северная Македония",
        ),
    ),
    (
        "ML",
        "MLI",
        (
            "Mali",
            "Republic of Mali",
            "Мали",
            "Республика Мали",
        ),
    ),
    (
        "MM",
        "MMR",
        (
            "Myanmar",
            "Republic of Myanmar",
            "Мьянма",
            "Республика Мьянма",
        ),
    ),
    (
        "MN",
        "MNG",
        (
            "Mongolia",
            "Монголия",
        ),
    ),
    (
        "MO",
        "MAC",
        (
            "Macao",
            "Macao Special Administrative Region of China",
            "Макао",
            "Специальный Административный район Макао",
        ),
    ),
    (
        "MP",
        "MNP",
        (
            "Northern Mariana Islands",
            "Commonwealth of the Northern Mariana Islands",
            "Острова северной Марианы",
            "Содружество Северных Марианских островов",
        ),
    ),
    (
        "MQ",
        "MTQ",
        (
            "Martinique",
            "Мартиника",
        ),
    ),
    (
        "MR",
        "MRT",
        (
            "Mauritania",
            "Islamic Republic of Mauritania",
            "Мавритания",
            "Исламская Республика Мавритания",
        ),
    ),
    (
        "MS",
        "MSR",
        (
            "Montserrat",
            "Монтсеррат",
        ),
    ),
    (
        "MT",
        "MLT",
        (
            "Malta",
            "Republic of Malta",
            "Мальта",
            "Республика Мальта",
        ),
    ),
    (
        "MU",
        "MUS",
        (
            "Mauritius",
            "Republic of Mauritius",
            "Маврикий",
            "Республика Маврикий",
        ),
    ),
    (
        "MV",
        "MDV",
        (
            "Maldives",
            "Republic of Maldives",
            "Мальдивы",
            "Мальдивская Республика",
        ),
    ),
    (
        "MW",
        "MWI",
        (
            "Malawi",
            "Republic of Malawi",
            "Малави",
            "Республика Малави",
        ),
    ),
    (
        "MX",
        "MEX",
        (
            "Mexico",
            "United Mexican States",
            "Мексика",
            "Мексиканские Соединённые Штаты",
        ),
    ),
    (
        "MY",
        "MYS",
        (
            "Malaysia",
            "Малайзия",
        ),
    ),
    (
        "MZ",
        "MOZ",
        (
            "Mozambique",
            "Republic of Mozambique",
            "Мозамбик",
            "Республика Мозамбик",
        ),
    ),
    (
        "NA",
        "NAM",
        (
            "Namibia",
            "Republic of Namibia",
            "Намибия",
            "Республика Намибия",
        ),
    ),
    (
        "NC",
        "NCL",
        (
            "New Caledonia",
            "Новая Каледония",
        ),
    ),
    (
        "NE",
        "NER",
        (
            "Niger",
            "Republic of the Niger",
            "Нигер",
            "Республика Нигер",
        ),
    ),
    (
        "NF",
        "NFK",
        (
            "Norfolk Island",
            "Остров Норфолк",
        ),
    ),
    (
        "NG",
        "NGA",
        (
            "Nigeria",
            "Federal Republic of Nigeria",
            "Нигерия",
            "Федеративная Республика Нигерия",
        ),
    ),
    (
        "NI",
        "NIC",
        (
            "Nicaragua",
            "Republic of Nicaragua",
            "Никарагуа",
            "Республика Никарагуа",
        ),
    ),
    (
        "NL",
        "NLD",
        (
            "Netherlands",
            "Kingdom of the Netherlands",
            "Нидерланды",
            "Королевство Нидерландов",
        ),
    ),
    (
        "NO",
        "NOR",
        (
            "Norway",
            "Kingdom of Norway",
            "Норвегия",
            "Королевство Норвегия",
        ),
    ),
    (
        "NP",
        "NPL",
        (
            "Nepal",
            "Federal Democratic Republic of Nepal",
            "Непал",
            "Федеративная Демократическая Республика Непал",
        ),
    ),
    (
        "NR",
        "NRU",
        (
            "Nauru",
            "Republic of Nauru",
            "Науру",
            "Республика Науру",
        ),
    ),
    (
        "NU",
        "NIU",
        (
            "Niue",
            "Ниуэ",
        ),
    ),
    (
        "NZ",
        "NZL",
        (
            "New Zealand",
            "Новая Зеландия",
        ),
    ),
    (
        "OM",
        "OMN",
        (
            "Oman",
            "Sultanate of Oman",
            "Оман",
            "Султанат Оман",
        ),
    ),
    (
        "PA",
        "PAN",
        (
            "Panama",
            "Republic of Panama",
            "Панама",
            "Республика Панама",
        ),
    ),
    (
        "PE",
        "PER",
        (
            "Peru",
            "Republic of Peru",
            "Перу",
            "Республика Перу",
        ),
    ),
    (
        "PF",
        "PYF",
        (
            "French Polynesia",
            "Французская Полинезия",
        ),
    ),
    (
        "PG",
        "PNG",
        (
            "Papua New Guinea",
            "Independent State of Papua New Guinea",
            "Папуа — Новая Гвинея",
            "Независимое Государство Папуа — Новая Гвинея",
        ),
    ),
    (
        "PH",
        "PHL",
        (
            "Philippines",
            "Republic of the Philippines",
            "Филиппины",
            "Республика Филиппины",
        ),
    ),
    (
        "PK",
        "PAK",
        (
            "Pakistan",
            "Islamic Republic of Pakistan",
            "Пакистан",
            "Исламская Республика Пакистан",
        ),
    ),
    (
        "PL",
        "POL",
        (
            "Poland",
            "Republic of Poland",
            "Польша",
            "Республика Польша",
        ),
    ),
    (
        "PM",
        "SPM",
        (
            "Saint Pierre and Miquelon",
            "Сен-Пьер и Микелон",
        ),
    ),
    (
        "PN",
        "PCN",
        (
            "Pitcairn",
            "Питкэрн",
        ),
    ),
    (
        "PR",
        "PRI",
        (
            "Puerto Rico",
            "Пуэрто-Рико",
        ),
    ),
    (
        "PS",
        "PSE",
        (
            "Palestine, State of",
            "the State of Palestine",
            "Палестина",
            "Государство Палестина",
        ),
    ),
    (
        "PT",
        "PRT",
        (
            "Portugal",
            "Portuguese Republic",
            "Португалия",
            "Португальская Республика",
        ),
    ),
    (
        "PW",
        "PLW",
        (
            "Palau",
            "Republic of Palau",
            "Палау",
            "Республика Палау",
        ),
    ),
    (
        "PY",
        "PRY",
        (
            "Paraguay",
            "Republic of Paraguay",
            "Парагвай",
            "Республика Парагвай",
        ),
    ),
    (
        "QA",
        "QAT",
        (
            "Qatar",
            "State of Qatar",
            "Катар",
            "Государство Катар",
        ),
    ),
    (
        "RE",
        "REU",
        (
            "Réunion",
            "Реюньон",
        ),
    ),
    (
        "RO",
        "ROU",
        (
            "Romania",
            "Румыния",
        ),
    ),
    (
        "RS",
        "SRB",
        (
            "Serbia",
            "Republic of Serbia",
            "Сербия",
            "Республика Сербия",
        ),
    ),
    (
        "RU",
        "RUS",
        (
            "Russian Federation",
            "Российская Федерация",
        ),
    ),
    (
        "RW",
        "RWA",
        (
            "Rwanda",
            "Rwandese Republic",
            "Руанда",
            "Руандийская Республика",
        ),
    ),
    (
        "SA",
        "SAU",
        (
            "Saudi Arabia",
            "Kingdom of Saudi Arabia",
            "Саудовская Аравия",
            "Королевство Саудовская Аравия",
        ),
    ),
    (
        "SB",
        "SLB",
        (
            "Solomon Islands",
            "Соломоновы Острова",
        ),
    ),
    (
        "SC",
        "SYC",
        (
            "Seychelles",
            "Republic of Seychelles",
            "Сейшелы",
            "Республика Сейшельские Острова",
        ),
    ),
    (
        "SD",
        "SDN",
        (
            "Sudan",
            "Republic of the Sudan",
            "Судан",
            "Республика Судан",
        ),
    ),
    (
        "SE",
        "SWE",
        (
            "Sweden",
            "Kingdom of Sweden",
            "Швеция",
            "Королевство Швеция",
        ),
    ),
    (
        "SG",
        "SGP",
        (
            "Singapore",
            "Republic of Singapore",
            "Сингапур",
            "Республика Сингапур",
        ),
    ),
    (
        "SH",
        "SHN",
        (
            "Saint Helena, Ascension and Tristan da Cunha",
            "Остров Святой Елены, Остров Вознесения и Тристан-да-Кунья",
        ),
    ),
    (
        "SI",
        "SVN",
        (
            "Slovenia",
            "Republic of Slovenia",
            "Словения",
            "Республика Словения",
        ),
    ),
    (
        "SJ",
        "SJM",
        (
            "Svalbard and Jan Mayen",
            "Шпицберген и Ян-Майен",
        ),
    ),
    (
        "SK",
        "SVK",
        (
            "Slovakia",
            "Slovak Republic",
            "Словакия",
            "Словацкая Республика",
        ),
    ),
    (
        "SL",
        "SLE",
        (
            "Sierra Leone",
            "Republic of Sierra Leone",
            "Сьерра-Леоне",
            "Республика Сьерра-Леоне",
        ),
    ),
    (
        "SM",
        "SMR",
        (
            "San Marino",
            "Republic of San Marino",
            "Сан-Марино",
            "Республика Сан-Марино",
        ),
    ),
    (
        "SN",
        "SEN",
        (
            "Senegal",
            "Republic of Senegal",
            "Сенегал",
            "Республика Сенегал",
        ),
    ),
    (
        "SO",
        "SOM",
        (
            "Somalia",
            "Federal Republic of Somalia",
            "Сомали",
            "Федеративная Республика Сомали",
        ),
    ),
    (
        "SR",
        "SUR",
        (
            "Suriname",
            "Republic of Suriname",
            "Суринам",
            "Республика Суринам",
        ),
    ),
    (
        "SS",
        "SSD",
        (
            "South Sudan",
            "Republic of South Sudan",
            "Южный Судан",
            "Республика Южный Судан",
        ),
    ),
    (
        "ST",
        "STP",
        (
            "Sao Tome and Principe",
            "Democratic Republic of Sao Tome and Principe",
            "Сан-Томе и Принсипи",
            "Демократическая Республика Сан-Томе и Принсипи",
        ),
    ),
    (
        "SV",
        "SLV",
        (
            "El Salvador",
            "Republic of El Salvador",
            "Сальвадор",
            "Республика Эль-Сальвадор",
        ),
    ),
    (
        "SX",
        "SXM",
        (
            "Sint Maarten (Dutch part)",
            "Синт-Мартен (голландская часть)",
        ),
    ),
    (
        "SY",
        "SYR",
        (
            "Syrian Arab Republic",
            "Syria",
            "Сирийская Арабская Республика",
        ),
    ),
    (
        "SZ",
        "SWZ",
        (
            "Eswatini",
            "Kingdom of Eswatini",
            "Эсватини",
            "Королевство Эсватини",
        ),
    ),
    (
        "TC",
        "TCA",
        (
            "Turks and Caicos Islands",
            "Острова Туркс и Каикос",
        ),
    ),
    (
        "TD",
        "TCD",
        (
            "Chad",
            "Republic of Chad",
            "Чад",
            "Республика Чад",
        ),
    ),
    (
        "TF",
        "ATF",
        (
            "French Southern Territories",
            "Французские южные территории",
        ),
    ),
    (
        "TG",
        "TGO",
        (
            "Togo",
            "Togolese Republic",
            "Того",
            "Тоголезская Республика",
        ),
    ),
    (
        "TH",
        "THA",
        (
            "Thailand",
            "Kingdom of Thailand",
            "Таиланд",
            "Королевство Таиланд",
        ),
    ),
    (
        "TJ",
        "TJK",
        (
            "Tajikistan",
            "Republic of Tajikistan",
            "Таджикистан",
            "Республика Таджикистан",
        ),
    ),
    (
        "TK",
        "TKL",
        (
            "Tokelau",
            "Токелау",
        ),
    ),
    (
        "TL",
        "TLS",
        (
            "Timor-Leste",
            "Democratic Republic of Timor-Leste",
            "Восточный Тимор",
            "Демократическая Республика Восточный Тимор",
        ),
    ),
    (
        "TM",
        "TKM",
        (
            "Turkmenistan",
            "Туркменистан",
        ),
    ),
    (
        "TN",
        "TUN",
        (
            "Tunisia",
            "Republic of Tunisia",
            "Тунис",
            "Тунисская Республика",
        ),
    ),
    (
        "TO",
        "TON",
        (
            "Tonga",
            "Kingdom of Tonga",
            "Тонга",
            "Королевство Тонга",
        ),
    ),
    (
        "TR",
        "TUR",
        (
            "Türkiye",
            "Republic of Türkiye",
        ),
    ),
    (
        "TT",
        "TTO",
        (
            "Trinidad and Tobago",
            "Republic of Trinidad and Tobago",
            "Тринидад и Тобаго",
            "Республика Тринидад и Тобаго",
        ),
    ),
    (
        "TV",
        "TUV",
        (
            "Tuvalu",
            "Тувалу",
        ),
    ),
    (
        "TW",
        "TWN",
        (
            "Taiwan, Province of China",
            "Taiwan",
            "Китайская провинция Тайвань",
            "Тайвань",
        ),
    ),
    (
        "TZ",
        "TZA",
        (
            "Tanzania, United Republic of",
            "Tanzania",
            "United Republic of Tanzania",
            "Танзания",
            "Объединённая Республика Танзания",
        ),
    ),
    (
        "UA",
        "UKR",
        (
            "Ukraine",
            "Украина",
        ),
    ),
    (
        "UG",
        "UGA",
        (
            "Uganda",
            "Republic of Uganda",
            "Уганда",
            "Республика Уганда",
        ),
    ),
    (
        "UM",
        "UMI",
        (
            "United States Minor Outlying Islands",
            "Соединенные штаты Малых Удаленных островов",
        ),
    ),
    (
        "US",
        "USA",
        (
            "United States",
            "United States of America",
            "Соединённые штаты",
            "Соединённые Штаты Америки",
        ),
    ),
    (
        "UY",
        "URY",
        (
            "Uruguay",
            "Eastern Republic of Uruguay",
            "Уругвай",
            "Восточная республика Уругвай",
        ),
    ),
    (
        "UZ",
        "UZB",
        (
            "Uzbekistan",
            "Republic of Uzbekistan",
            "Узбекистан",
            "Республика Узбекистан",
        ),
    ),
    (
        "VA",
        "VAT",
        (
            "Holy See (Vatican City State)",
            "Государство-город Ватикан",
        ),
    ),
    (
        "VC",
        "VCT",
        (
            "Saint Vincent and the Grenadines",
            "Сент-Винсент и Гренадины",
        ),
    ),
    (
        "VE",
        "VEN",
        (
            "Venezuela, Bolivarian Republic of",
            "Venezuela",
            "Bolivarian Republic of Venezuela",
            "Боливарианская Республика Венесуэла",
            "Венесуэла",
        ),
    ),
    (
        "VG",
        "VGB",
        (
            "Virgin Islands, British",
            "British Virgin Islands",
            "Виргинские острова (Британия)",
            "Британские Виргинские Острова",
        ),
    ),
    (
        "VI",
        "VIR",
        (
            "Virgin Islands, U.S.",
            "Virgin Islands of the United States",
            "Виргинские острова (США)",
            "Американские Виргинские острова",
        ),
    ),
    (
        "VN",
        "VNM",
        (
            "Viet Nam",
            "Vietnam",
            "Socialist Republic of Viet Nam",
            "Вьетнам",
            "Социалистическая Республика Вьетнам",
        ),
    ),
    (
        "VU",
        "VUT",
        (
            "Vanuatu",
            "Republic of Vanuatu",
            "Вануату",
            "Республика Вануату",
        ),
    ),
    (
        "WF",
        "WLF",
        (
            "Wallis and Futuna",
            "Уоллес и Футана",
        ),
    ),
    (
        "WS",
        "WSM",
        (
            "Samoa",
            "Independent State of Samoa",
            "Самоа",
            "Независимое Государство Самоа",
        ),
    ),
    (
        "YE",
        "YEM",
        (
            "Yemen",
            "Republic of Yemen",
            "Йемен",
            "Йеменская Республика",
        ),
    ),
    (
        "YT",
        "MYT",
        (
            "Mayotte",
            "Майот",
        ),
    ),
    (
        "ZA",
        "ZAF",
        (
            "South Africa",
            "Republic of South Africa",
            "Южная Африка",
            "Южно-Африканская Республика",
        ),
    ),
    (
        "ZM",
        "ZMB",
        (
            "Zambia",
            "Republic of Zambia",
            "Замбия",
            "Республика Замбия",
        ),
    ),
    (
        "ZW",
        "ZWE",
        (
            "Zimbabwe",
            "Republic of Zimbabwe",
            "Зимбабве",
            "Республика Зимбабве",
        ),
    ),
)

# Names people and exports use that the standard's own names miss (short forms, old names, Russian usage).
COMMON_NAMES: dict[str, str] = {
    "USA": "US",
    "U.S.": "US",
    "U.S.A.": "US",
    "United States of America": "US",
    "США": "US",
    "Америка": "US",
    "UK": "GB",
    "Great Britain": "GB",
    "Britain": "GB",
    "England": "GB",
    "Великобритания": "GB",
    "Англия": "GB",
    "Russia": "RU",
    "Россия": "RU",
    "РФ": "RU",
    "South Korea": "KR",
    "Korea": "KR",
    "Корея": "KR",
    "Южная Корея": "KR",
    "North Korea": "KP",
    "Северная Корея": "KP",
    "Turkey": "TR",
    "Турция": "TR",
    "Czech Republic": "CZ",
    "Чехия": "CZ",
    "Vietnam": "VN",
    "Iran": "IR",
    "Syria": "SY",
    "Laos": "LA",
    "Moldova": "MD",
    "Молдова": "MD",
    "Молдавия": "MD",
    "Bolivia": "BO",
    "Venezuela": "VE",
    "Tanzania": "TZ",
    "Taiwan": "TW",
    "Тайвань": "TW",
    "Macedonia": "MK",
    "Македония": "MK",
    "Ivory Coast": "CI",
    "Cote d'Ivoire": "CI",
    "Cape Verde": "CV",
    "Swaziland": "SZ",
    "Burma": "MM",
    "Holland": "NL",
    "The Netherlands": "NL",
    "Голландия": "NL",
    "Нидерланды": "NL",
    "UAE": "AE",
    "ОАЭ": "AE",
    "Эмираты": "AE",
    "Германия": "DE",
    "Франция": "FR",
    "Италия": "IT",
    "Испания": "ES",
    "Польша": "PL",
    "Украина": "UA",
    "Беларусь": "BY",
    "Белоруссия": "BY",
    "Казахстан": "KZ",
    "Узбекистан": "UZ",
    "Киргизия": "KG",
    "Кыргызстан": "KG",
    "Таджикистан": "TJ",
    "Туркмения": "TM",
    "Азербайджан": "AZ",
    "Армения": "AM",
    "Грузия": "GE",
    "Китай": "CN",
    "Япония": "JP",
    "Индия": "IN",
    "Бразилия": "BR",
    "Мексика": "MX",
    "Канада": "CA",
    "Австралия": "AU",
    "Индонезия": "ID",
    "Таиланд": "TH",
    "Филиппины": "PH",
    "Египет": "EG",
    "Израиль": "IL",
    "Саудовская Аравия": "SA",
    "Швеция": "SE",
    "Норвегия": "NO",
    "Финляндия": "FI",
    "Дания": "DK",
    "Австрия": "AT",
    "Швейцария": "CH",
    "Бельгия": "BE",
    "Португалия": "PT",
    "Греция": "GR",
    "Румыния": "RO",
    "Венгрия": "HU",
    "Болгария": "BG",
    "Сербия": "RS",
    "Хорватия": "HR",
    "Литва": "LT",
    "Латвия": "LV",
    "Эстония": "EE",
    "Ирландия": "IE",
    "Аргентина": "AR",
    "Чили": "CL",
    "Колумбия": "CO",
    "Перу": "PE",
    "ЮАР": "ZA",
    "Нигерия": "NG",
    "Пакистан": "PK",
    "Бангладеш": "BD",
    "Малайзия": "MY",
    "Сингапур": "SG",
    "Новая Зеландия": "NZ",
}

# Cells that say "no country" rather than naming one: read as absent (""), not as an error.
UNKNOWN_COUNTRY = frozenset({"xx", "zz", "unknown", "other", "others", "(not set)", "not set", "--"})
