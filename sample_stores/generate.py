"""Generate the sample chain: three stores, ~500 products, 53 weeks of daily POS exports.

Deterministic (seeded): running it twice gives byte-identical files. Run from anywhere:

    python sample_stores/generate.py

It rewrites stores.csv, products.csv, assortment.csv and pos/ next to this file. The planted
effects (preferences, seasonality, promotions, bulk lines, supplier gaps, substitution) are listed in
README.md and in the constants below.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
SEED = 20261123
FIRST_DAY, LAST_DAY = "2025-11-17", "2026-11-22"  # Monday .. Sunday: 53 full weeks
OUTAGE = ("S03", "2026-02-09", "2026-02-15")  # till outage: no data at all that week
FRESH_DELIVERY_DAYS, AMBIENT_DELIVERY_DAYS = 2, 7

# category: (fresh, share of the catalogue, price range EUR, margin range, shelf space, case pack range, shelf life range days)
CATEGORIES = {
    "Produce": (True, 0.09, (0.49, 4.99), (0.30, 0.42), (1, 3), (4, 12), (3, 10)),
    "Dairy": (True, 0.09, (0.59, 4.49), (0.22, 0.32), (1, 2), (6, 12), (7, 21)),
    "Bakery": (True, 0.06, (0.39, 4.99), (0.35, 0.50), (1, 3), (4, 10), (1, 3)),
    "Meat & Poultry": (True, 0.07, (2.49, 15.99), (0.22, 0.32), (1, 2), (4, 8), (4, 8)),
    "Deli & Cheese": (True, 0.07, (1.49, 8.99), (0.28, 0.40), (1, 2), (4, 8), (7, 14)),
    "Ready Meals": (True, 0.05, (2.49, 7.99), (0.30, 0.40), (1, 2), (4, 8), (3, 6)),
    "Beverages": (False, 0.09, (0.29, 12.99), (0.20, 0.32), (2, 4), (6, 24), (180, 540)),
    "Snacks & Sweets": (False, 0.08, (0.79, 4.99), (0.28, 0.40), (1, 3), (10, 24), (120, 360)),
    "Pantry": (False, 0.08, (0.49, 6.99), (0.22, 0.35), (1, 3), (10, 24), (180, 720)),
    "Breakfast & Cereals": (False, 0.05, (1.29, 5.99), (0.25, 0.35), (2, 3), (6, 12), (180, 365)),
    "Frozen": (False, 0.05, (1.49, 8.99), (0.25, 0.35), (2, 3), (6, 12), (180, 365)),
    "Canned & Jars": (False, 0.04, (0.59, 4.99), (0.25, 0.35), (1, 2), (12, 24), (365, 720)),
    "Household": (False, 0.04, (0.99, 9.99), (0.28, 0.40), (2, 4), (6, 12), (720, 720)),
    "Personal Care": (False, 0.04, (0.79, 8.99), (0.30, 0.45), (1, 2), (6, 12), (365, 720)),
    "Baby & Kids": (False, 0.03, (0.99, 12.99), (0.25, 0.35), (2, 3), (6, 12), (180, 540)),
    "Pet Food": (False, 0.03, (0.49, 9.99), (0.25, 0.35), (2, 3), (6, 24), (365, 720)),
}

# category: (subcategory, [base names]) ; names get a brand or size variant to make them unique
NAMES = {
    "Produce": [("Obst", ["Bananen 1kg", "Äpfel Elstar 1kg", "Birnen Williams", "Orangen 2kg", "Zitronen 500g", "Kiwi 6er", "Trauben hell 500g"]),
                ("Beeren", ["Erdbeeren 500g", "Heidelbeeren 250g", "Himbeeren 125g", "Kirschen 500g"]),
                ("Gemüse", ["Tomaten Rispen 500g", "Gurke", "Paprika rot", "Karotten 1kg", "Zwiebeln 2kg", "Kartoffeln festk. 2,5kg", "Brokkoli", "Zucchini", "Salat Eisberg", "Champignons 250g"])],
    "Dairy": [("Milch", ["Vollmilch 3,5% 1l", "Fettarme Milch 1,5% 1l", "Hafer Drink 1l", "Buttermilch 500ml"]),
              ("Joghurt", ["Naturjoghurt 500g", "Fruchtjoghurt 150g", "Skyr 450g", "Quark 40% 250g", "Pudding Schoko 4x125g"]),
              ("Butter & Sahne", ["Butter 250g", "Schlagsahne 200ml", "Schmand 200g", "Frischkäse 200g"])],
    "Bakery": [("Brötchen", ["Laugenbrezel 4er", "Weizenbrötchen 6er", "Körnerbrötchen 4er", "Croissant 4er"]),
               ("Brot", ["Bauernbrot 750g", "Vollkornbrot 500g", "Baguette", "Toastbrot 500g"]),
               ("Saisongebäck", ["Christstollen 750g", "Lebkuchen 200g", "Weihnachtsplätzchen 300g"])],
    "Meat & Poultry": [("Geflügel", ["Hähnchenbrustfilet 400g", "Hähnchenschenkel 1kg", "Putenschnitzel 400g"]),
                       ("Rind & Schwein", ["Hackfleisch gemischt 500g", "Schweineschnitzel 500g", "Rinderhack 400g", "Gulasch 500g"]),
                       ("Grill", ["Grillwürstchen 6er", "Grillfleisch mariniert 600g", "Bratwurst 4er", "Spareribs 1kg"])],
    "Deli & Cheese": [("Käse", ["Gouda jung 400g", "Bergkäse 200g", "Emmentaler Scheiben 150g", "Camembert 125g", "Mozzarella 125g", "Feta 200g"]),
                      ("Wurst", ["Schwarzwälder Schinken 100g", "Salami 100g", "Kochschinken 200g", "Leberwurst 125g"]),
                      ("Feinkost", ["Hummus 200g", "Oliven 150g", "Kartoffelsalat 500g"])],
    "Ready Meals": [("Salate & Bowls", ["Caesar Salad Bowl", "Couscous Salat", "Poke Bowl Lachs", "Wrap Hähnchen"]),
                    ("Warme Gerichte", ["Lasagne 400g", "Spätzle Käse 400g", "Curry Reis 400g", "Maultaschen 360g", "Pasta Pesto 350g"])],
    "Beverages": [("Wasser", ["Mineralwasser 1,5l", "Mineralwasser still 6x1,5l", "Sprudel 0,7l Glas"]),
                  ("Säfte & Softdrinks", ["Apfelschorle 1l", "Orangensaft 1l", "Cola 1,5l", "Eistee 1,5l", "Multivitaminsaft 1l"]),
                  ("Bier & Wein", ["Pils 6x0,5l", "Radler 0,5l", "Weißwein trocken 0,75l", "Rotwein 0,75l"])],
    "Snacks & Sweets": [("Chips & Nüsse", ["Kartoffelchips 175g", "Erdnüsse 200g", "Salzbrezeln 200g", "Studentenfutter 200g"]),
                        ("Schokolade", ["Vollmilchschokolade 100g", "Zartbitter 70% 100g", "Schokoriegel 5er", "Gummibärchen 200g", "Kekse 200g"])],
    "Pantry": [("Nudeln & Reis", ["Spaghetti 500g", "Penne 500g", "Basmatireis 1kg", "Spaghetti 1kg"]),
               ("Backen", ["Weizenmehl 1kg", "Zucker 1kg", "Backpulver 5er", "Vanillezucker 5er"]),
               ("Öle & Würzen", ["Olivenöl 0,5l", "Rapsöl 1l", "Senf 200ml", "Ketchup 500ml", "Gemüsebrühe"])],
    "Breakfast & Cereals": [("Müsli", ["Früchtemüsli 750g", "Haferflocken 500g", "Cornflakes 375g", "Granola 400g"]),
                            ("Aufstriche", ["Nuss-Nougat-Creme 400g", "Erdbeerkonfitüre 450g", "Honig 500g"])],
    "Frozen": [("Pizza & Snacks", ["Pizza Margherita", "Pizza Salami", "Pommes 1kg", "Fischstäbchen 15er"]),
               ("Gemüse & Eis", ["Rahmspinat 450g", "Erbsen 750g", "Vanilleeis 1l", "Eis am Stiel 6er"])],
    "Canned & Jars": [("Konserven", ["Tomaten gehackt 400g", "Kidneybohnen 400g", "Mais 340g", "Thunfisch 185g", "Sauerkraut 520g"])],
    "Household": [("Reinigung", ["Spülmittel 500ml", "Allzweckreiniger 1l", "Waschmittel 20WL", "Müllbeutel 35l"]),
                  ("Papier", ["Toilettenpapier 8er", "Küchenrolle 4er", "Taschentücher 10er"])],
    "Personal Care": [("Körperpflege", ["Duschgel 250ml", "Shampoo 300ml", "Zahnpasta 75ml", "Deo Spray 150ml", "Handcreme 75ml"])],
    "Baby & Kids": [("Baby", ["Windeln Gr. 4", "Feuchttücher 80er", "Babybrei Gläschen", "Kindermilch 800g", "Quetschie Apfel"])],
    "Pet Food": [("Katze", ["Katzenfutter Nass 100g", "Katzenstreu 10l", "Katzensnack"]), ("Hund", ["Hundefutter Dose 800g", "Kauknochen 5er", "Hundetrockenfutter 3kg"])],
}
BRANDS = ["Gut&Günstig", "Ja!", "Alnatura", "Schwarzwald-Hof", "Hofgut", "Milsani", "Weihenstephan", "Dr. Oetker",
          "Rapunzel", "Bauer Mayer", "Kathis", "Landliebe", "Barilla", "Lorenz", "Ritter", "Seitenbacher"]
SEASONAL_SUBCATEGORIES = {"Beeren", "Grill", "Saisongebäck"}
BAKING_WORDS = ("Mehl", "Zucker", "Backpulver", "Vanillezucker")

STORES = [  # store_id, name, town, format, sales area m2, households with children, single households, tourist region
    ("S01", "Altstadt Markt", "Freiburg", "city", 420, 0.12, 0.58, 0),
    ("S02", "Familienmarkt Kirchzarten", "Kirchzarten", "suburban", 1350, 0.41, 0.22, 0),
    ("S03", "Dorfladen Titisee", "Titisee-Neustadt", "rural_tourist", 650, 0.27, 0.31, 1),
]
TRAFFIC = {"S01": 0.8, "S02": 1.6, "S03": 0.9}
LISTED_TARGET = {"S01": 260, "S02": 400, "S03": 300}
# planted local preferences: (column, value) -> multiplier per store
PREFERENCES = {
    "S01": {("organic", "1"): 2.0, ("category", "Ready Meals"): 2.2, ("pack_size", "single"): 1.8,
            ("pack_size", "family"): 0.3, ("category", "Baby & Kids"): 0.4, ("category", "Pet Food"): 0.5},
    "S02": {("pack_size", "family"): 2.0, ("pack_size", "single"): 0.6, ("category", "Baby & Kids"): 2.5,
            ("category", "Snacks & Sweets"): 1.3, ("category", "Ready Meals"): 0.7},
    "S03": {("category", "Beverages"): 1.5, ("category", "Bakery"): 1.3, ("category", "Deli & Cheese"): 1.4, ("organic", "1"): 0.7},
}
WEEKDAY = np.array([0.95, 0.9, 0.95, 1.0, 1.15, 1.4, 0.0])  # Mon..Sun; German stores are closed on Sunday
PROMOTIONS = {"S01": (0.25, 1.8), "S02": (0.20, 1.6)}  # store: (price cut, demand lift) for a Mon-Sat promotion week
PROMOS_PER_MONTH = 6
DELISTINGS = 8  # per store, mid-year
PRICE_BAND = 0.35  # substitutes: same subcategory, price within +-35 %
TRANSFER_RATE = 0.5  # share of a delisted product's demand that moves to its listed substitutes
GAPS, GAP_WEEKS, GAP_MIN_WEEKLY_UNITS = 2, 6, 5.0  # supplier outages per store, spring 2026
BULK_LINES, BULK_FACTOR, BULK_USUAL_DAILY = 4, (15, 40), (2.0, 8.0)  # party orders per store

# Loyalty cards (their own random stream: the POS lines are the same with or without them).
CARD_SEED = SEED + 1
CARD_SHARE = 0.6  # share of the lines rung up on a card
# planted customer segments: what they over-buy ((column, value) -> multiplier) and visits a week
SEGMENTS = {
    "students_singles": ({("category", "Ready Meals"): 5.0, ("pack_size", "single"): 4.0, ("category", "Snacks & Sweets"): 2.0,
                          ("category", "Beverages"): 1.5, ("category", "Baby & Kids"): 0.05, ("pack_size", "family"): 0.1,
                          ("category", "Pet Food"): 0.2, ("category", "Meat & Poultry"): 0.4, ("category", "Produce"): 0.5}, 2.0),
    "organic_foodies": ({("organic", "1"): 6.0, ("category", "Produce"): 2.5, ("category", "Dairy"): 1.8,
                         ("category", "Snacks & Sweets"): 0.3, ("category", "Frozen"): 0.2, ("category", "Ready Meals"): 0.4}, 1.5),
    "families": ({("category", "Baby & Kids"): 6.0, ("pack_size", "family"): 4.0, ("category", "Breakfast & Cereals"): 2.5,
                  ("category", "Snacks & Sweets"): 1.5, ("pack_size", "single"): 0.2, ("category", "Ready Meals"): 0.3,
                  ("category", "Beverages"): 0.6, ("category", "Canned & Jars"): 0.3, ("category", "Household"): 0.5}, 1.2),
    "tourists": ({("category", "Beverages"): 4.0, ("category", "Bakery"): 3.0, ("category", "Deli & Cheese"): 3.0,
                  ("category", "Household"): 0.05, ("category", "Pet Food"): 0.05, ("category", "Canned & Jars"): 0.1,
                  ("category", "Pantry"): 0.2, ("category", "Baby & Kids"): 0.2}, 4.0),
    "locals": ({("category", "Canned & Jars"): 4.0, ("category", "Pantry"): 3.0, ("category", "Household"): 2.5,
                ("category", "Meat & Poultry"): 2.0, ("category", "Ready Meals"): 0.2, ("organic", "1"): 0.3,
                ("category", "Beverages"): 0.6, ("category", "Baby & Kids"): 0.05, ("pack_size", "family"): 0.4,
                ("category", "Breakfast & Cereals"): 0.4}, 1.0),
}
# cardholders per store and segment; tourists visit for three weeks between 15 June and 15 September
CARDHOLDERS = {
    "S01": {"students_singles": 150, "organic_foodies": 80, "families": 25, "locals": 25},
    "S02": {"families": 180, "organic_foodies": 50, "students_singles": 25, "locals": 50},
    "S03": {"locals": 120, "tourists": 120, "families": 25},
}
SHARED_CARDS = (("S02", "S03", "families", 25), ("S01", "S02", "organic_foodies", 20))  # also shop in a second store


def make_products(rng: np.random.Generator) -> pd.DataFrame:
    """~500 products with prices, costs, shelf space, case packs, shelf life and attributes."""
    rows = []
    total = 500
    for category, (fresh, share, price_range, margin_range, space_range, case_range, life_range) in CATEGORIES.items():
        groups = NAMES[category]
        count = int(round(share * total))
        for i in range(count):
            subcategory, bases = groups[i % len(groups)]
            base = bases[(i // len(groups)) % len(bases)]
            brand = BRANDS[int(rng.integers(len(BRANDS)))]
            organic = int(rng.random() < (0.25 if category in ("Produce", "Dairy", "Bakery") else 0.1))
            pack = rng.choice(["single", "regular", "family"], p=[0.15, 0.7, 0.15])
            name = f"{'Bio ' if organic else ''}{base} {brand}"
            if pack == "family":
                name = f"Familienpackung {name}"
            elif pack == "single":
                name = f"{name} Single-Portion"
            price = float(np.round(rng.uniform(*price_range) * (1.8 if pack == "family" else 0.7 if pack == "single" else 1.0), 2))
            price = max(price, 0.29)
            cost = round(price * (1 - rng.uniform(*margin_range)), 2)
            space = int(rng.integers(space_range[0], space_range[1] + 1)) + (1 if pack == "family" else 0)
            rows.append({
                "name": name, "category": category, "fresh": int(fresh), "price": price, "unit_cost": cost,
                "shelf_space": space, "case_pack": int(rng.integers(case_range[0], case_range[1] + 1)),
                "shelf_life_days": int(rng.integers(40, 120)) if subcategory == "Saisongebäck" else int(rng.integers(life_range[0], life_range[1] + 1)),
                "subcategory": subcategory,
                "organic": organic, "pack_size": pack, "brand": brand,
            })
    products = pd.DataFrame(rows)
    products = products.drop_duplicates("name").reset_index(drop=True)
    codes = rng.choice(np.arange(1000, 300000), size=len(products), replace=False)
    products.insert(0, "sku", [f"{c:06d}" for c in codes])
    # two names a spreadsheet would read as formulas: the workbook must keep them as text
    gouda = products.index[products["name"].str.startswith("Gouda")][0]
    products.loc[gouda, "name"] = "-20% Aktion Gouda jung 400g"
    juice = products.index[products["name"].str.startswith("Multivitaminsaft")][0]
    products.loc[juice, "name"] = "+Plus Multivitaminsaft 1l"
    return products


def seasonality(products: pd.DataFrame, days: pd.DatetimeIndex) -> np.ndarray:
    """Multiplier per (product, day): berries, beverages and BBQ in summer, Christmas baking in Nov-Dec."""
    month = days.month.to_numpy()
    summer = np.isin(month, [6, 7, 8])
    may_aug = np.isin(month, [5, 6, 7, 8])
    christmas = np.isin(month, [11, 12])
    factor = np.ones((len(products), len(days)))
    sub = products["subcategory"].to_numpy()
    factor[(sub == "Beeren")] = np.where(summer, 1.6, 0.7)
    factor[(products["category"] == "Beverages").to_numpy()] *= np.where(summer, 1.3, 1.0)
    factor[(sub == "Grill")] = np.where(may_aug, 2.2, 0.6)
    factor[(sub == "Saisongebäck")] = np.where(christmas, 2.5, 0.03)
    baking = products["name"].str.contains("|".join(BAKING_WORDS)).to_numpy()
    factor[baking] *= np.where(christmas, 1.8, 1.0)
    return factor


def store_multipliers(products: pd.DataFrame) -> np.ndarray:
    """(store, product) multiplier: traffic x planted preferences."""
    multiplier = np.ones((len(STORES), len(products)))
    for s, (store_id, *_rest) in enumerate(STORES):
        multiplier[s] *= TRAFFIC[store_id]
        for (column, value), factor in PREFERENCES[store_id].items():
            multiplier[s, (products[column].astype(str) == value).to_numpy()] *= factor
    return multiplier


def tourist_traffic(days: pd.DatetimeIndex) -> np.ndarray:
    """S03's traffic: x1.6 from mid-June to mid-September, x0.85 otherwise."""
    month_day = days.month * 100 + days.day
    peak = (month_day >= 615) & (month_day <= 915)
    return np.where(peak, 1.6, 0.85)


def main() -> None:
    rng = np.random.default_rng(SEED)
    card_rng = np.random.default_rng(CARD_SEED)
    products = make_products(rng)
    n = len(products)
    days = pd.date_range(FIRST_DAY, LAST_DAY, freq="D")
    base = rng.lognormal(np.log(6.0), 0.9, n)
    fast = rng.choice(n, 12, replace=False)
    base[fast] = rng.uniform(80, 200, 12)
    taste = store_multipliers(products) * rng.lognormal(0, 0.25, (len(STORES), n))
    season = seasonality(products, days)
    weekly_rate = base[None, :] * taste  # units / week at an average time of year

    listed, introduced, delisted = choose_assortments(rng, weekly_rate, products)
    steady = season.min(axis=1) == season.max(axis=1)  # no seasonal pattern
    skus = products["sku"].to_numpy()
    cards = make_cardholders(card_rng, days)
    pos_lines = []
    for s, (store_id, *_rest) in enumerate(STORES):
        daily = weekly_rate[s][:, None] / WEEKDAY.sum() * season * WEEKDAY[days.day_of_week.to_numpy()][None, :]
        if store_id == "S03":
            daily = daily * tourist_traffic(days)[None, :]
        on_shelf = np.zeros((n, len(days)), dtype=bool)
        on_shelf[listed[s]] = True
        for p, start in introduced[s].items():
            on_shelf[p] = days >= start
        for p, (end, subs) in delisted[s].items():
            on_shelf[p] = days <= end
            share = weekly_rate[s, subs] / weekly_rate[s, subs].sum()
            daily[np.ix_(subs, days > end)] += TRANSFER_RATE * share[:, None] * daily[p, days > end][None, :]
            print(f"{store_id}: delisted {skus[p]} after {end.date()}, substitutes {' '.join(skus[subs])}")
        usual = daily[:, days.day_of_week < 6].mean(axis=1)  # expected units on an open day
        substitutes = {q for _end, subs in delisted[s].values() for q in subs}
        regular = [p for p in listed[s] if p not in introduced[s] and p not in substitutes and steady[p]]
        gaps = supplier_gaps(rng, products, regular, usual)
        for p, start in gaps.items():
            on_shelf[p, (days >= start) & (days < start + pd.Timedelta(weeks=GAP_WEEKS))] = False
            print(f"{store_id}: supplier gap {skus[p]} from {start.date()} for {GAP_WEEKS} weeks")
        promoted = [p for p in listed[s] if p not in substitutes]  # keeps the substitution effect clean
        promo = promotion_weeks(rng, promoted, on_shelf, days) if store_id in PROMOTIONS else np.zeros_like(on_shelf)
        price_cut, lift = PROMOTIONS.get(store_id, (0.0, 1.0))
        daily[promo] *= lift
        shape = 2.0  # Poisson-gamma: overdispersed daily sales
        units = rng.poisson(daily * rng.gamma(shape, 1 / shape, daily.shape)) * on_shelf
        closed = days.day_of_week == 6
        if store_id == OUTAGE[0]:
            closed |= (days >= OUTAGE[1]) & (days <= OUTAGE[2])
        units[:, closed] = 0
        for p, d, bulk in bulk_lines(rng, [p for p in regular if p not in gaps], usual, on_shelf & ~promo & ~closed):
            units[p, d] = bulk
            print(f"{store_id}: bulk line {skus[p]} on {days[d].date()}: {bulk} units (usual {usual[p]:.1f}/day)")
        p_idx, d_idx = np.nonzero(units)
        lines = pd.DataFrame({"date": days[d_idx], "store_id": store_id, "sku": skus[p_idx], "units": units[p_idx, d_idx]})
        on_promo = promo[p_idx, d_idx]
        discount = np.where(on_promo, 1 - price_cut, np.where(rng.random(len(lines)) < 0.03, 0.9, 1.0))
        lines["revenue"] = np.round(lines["units"] * products["price"].to_numpy()[p_idx] * discount, 2)
        lines["promo"] = on_promo.astype(int)
        lines = add_cards(card_rng, lines, products, cards[cards["store_id"] == store_id], p_idx)
        pos_lines.append(add_returns_and_unknowns(rng, lines, products, store_id))
    write_all(products, listed, pos_lines, weekly_rate, days, season)
    planted = cards.drop_duplicates("card_id")[["card_id", "segment"]].sort_values("card_id")
    planted.to_csv(HERE / "planted_segments.csv", index=False, lineterminator="\n")


def make_cardholders(rng: np.random.Generator, days: pd.DatetimeIndex) -> pd.DataFrame:
    """One row per card and store it shops in: card_id (12 digits, text), store_id, segment, first and
    last day it shops there (tourists: three weeks in the summer season; everyone else: the whole period)."""
    rows = []
    summer = days[(days >= "2026-06-15") & (days <= "2026-08-25")]
    for store_id, counts in CARDHOLDERS.items():
        for segment, count in counts.items():
            for _ in range(count):
                start = summer[int(rng.integers(len(summer)))] if segment == "tourists" else days[0]
                end = start + pd.Timedelta(days=20) if segment == "tourists" else days[-1]
                rows.append((store_id, segment, start, end))
    cards = pd.DataFrame(rows, columns=["store_id", "segment", "first_day", "last_day"])
    numbers = 10**10 + rng.permutation(10**6)[: len(cards)] * 90_000 + rng.integers(0, 90_000, len(cards))  # distinct
    cards.insert(0, "card_id", [f"{n:012d}" for n in numbers])
    for home, second, segment, count in SHARED_CARDS:
        mine = cards[(cards["store_id"] == home) & (cards["segment"] == segment)].head(count)
        cards = pd.concat([cards, mine.assign(store_id=second)], ignore_index=True)
    return cards


def segment_affinity(products: pd.DataFrame) -> dict[str, np.ndarray]:
    """segment -> multiplier per product: how much more (or less) likely its cardholders are to buy it."""
    affinity = {}
    for segment, (effects, _visits) in SEGMENTS.items():
        factor = np.ones(len(products))
        for (column, value), multiplier in effects.items():
            factor[(products[column].astype(str) == value).to_numpy()] *= multiplier
        affinity[segment] = factor
    return affinity


def add_cards(rng: np.random.Generator, lines: pd.DataFrame, products: pd.DataFrame, cards: pd.DataFrame,
              p_idx: np.ndarray) -> pd.DataFrame:
    """card_id and receipt_id per line: each open day, each cardholder visits with probability (visits a
    week / 6); CARD_SHARE of the day's lines go to a visiting card, drawn in proportion to its segment's
    affinity for the product. A card's lines of a day share a receipt; the other lines are grouped into
    receipts of 1-6 lines. Ids are text; a line without a card has an empty card_id."""
    affinity = segment_affinity(products)
    visits = cards["segment"].map({segment: rate for segment, (_effects, rate) in SEGMENTS.items()}).to_numpy() / 6
    card_of = np.full(len(lines), "", dtype=object)
    dates = lines["date"].to_numpy()
    for day in np.unique(dates):
        rows = np.flatnonzero(dates == day)
        active = ((cards["first_day"] <= day) & (cards["last_day"] >= day)).to_numpy()
        visiting = np.flatnonzero(active & (rng.random(len(cards)) < visits))
        on_card = rows[rng.random(len(rows)) < CARD_SHARE]
        if not len(visiting) or not len(on_card):
            continue
        weights = np.stack([affinity[seg][p_idx[on_card]] for seg in cards["segment"].to_numpy()[visiting]])  # card x line
        cumulative = np.cumsum(weights, axis=0) / weights.sum(axis=0)
        chosen = (rng.random(len(on_card))[None, :] > cumulative).sum(axis=0)
        card_of[on_card] = cards["card_id"].to_numpy()[visiting[np.minimum(chosen, len(visiting) - 1)]]
    lines = lines.assign(card_id=card_of)
    receipt = np.zeros(len(lines), dtype=np.int64)
    has_card = lines["card_id"] != ""
    carded = lines[has_card].groupby(["date", "card_id"], sort=True).ngroup().to_numpy()
    receipt[has_card.to_numpy()] = carded + 1
    anonymous = np.flatnonzero(~has_card.to_numpy())
    receipt[anonymous] = carded.max(initial=0) + 2 + np.cumsum(rng.random(len(anonymous)) < 0.35)
    store_number = int(lines["store_id"].iloc[0][1:])
    return lines.assign(receipt_id=[f"{store_number}{r:07d}" for r in receipt])


def substitutes_of(products: pd.DataFrame, p: int, pool: list) -> np.ndarray:
    """Products in pool with p's subcategory and a price within PRICE_BAND of p's."""
    price, sub = products["price"].to_numpy(), products["subcategory"].to_numpy()
    pool = np.array(pool, dtype=int)
    return pool[(sub[pool] == sub[p]) & (np.abs(price[pool] / price[p] - 1) <= PRICE_BAND)]


def choose_assortments(rng: np.random.Generator, weekly_rate: np.ndarray, products: pd.DataFrame):
    """Each store lists its best sellers plus ~8 % poor performers; a few products come mid-year, and
    DELISTINGS solid sellers go, each with at least 2 listed substitutes: delisted[s] = {product: (last day, substitutes)}."""
    listed, introduced, delisted = [], [], []
    for s, (store_id, *_rest) in enumerate(STORES):
        target = LISTED_TARGET[store_id]
        score = weekly_rate[s] * products["price"].to_numpy() * rng.lognormal(0, 0.6, len(products))
        order = np.argsort(-score)
        poor = int(0.08 * target)
        best = target - poor + DELISTINGS  # the delisted ones come from these and leave room
        chosen = list(order[:best]) + list(rng.choice(order[-150:], poor, replace=False))
        rest = [p for p in order[best: target + 60] if p not in chosen]
        new = {int(p): pd.Timestamp("2026-05-04") + pd.Timedelta(days=7 * int(rng.integers(0, 8))) for p in rest[:5]}
        candidates = order[: target // 4]  # top-quartile sellers; substitutes come from outside this band
        pool = sorted(set(chosen) - set(candidates))
        replaceable = [(int(p), subs) for p in rng.permutation(candidates) if len(subs := substitutes_of(products, p, pool)) >= 2]
        gone = {p: (pd.Timestamp("2026-06-01") + pd.Timedelta(days=7 * int(rng.integers(0, 4))), subs)
                for p, subs in replaceable[:DELISTINGS]}
        listed.append(np.array(sorted(set(chosen) - set(gone) | set(new)), dtype=int))  # introduced ones are listed today
        introduced.append(new)
        delisted.append(gone)
    return listed, introduced, delisted


def supplier_gaps(rng: np.random.Generator, products: pd.DataFrame, candidates: list, usual: np.ndarray) -> dict:
    """GAPS ambient steady sellers (>= GAP_MIN_WEEKLY_UNITS a week) -> first Monday of their outage (Mar-May 2026)."""
    sellers = [p for p in candidates if not products.at[p, "fresh"] and usual[p] * 6 >= GAP_MIN_WEEKLY_UNITS]
    return {int(p): pd.Timestamp("2026-03-02") + pd.Timedelta(weeks=int(rng.integers(0, 8)))
            for p in rng.choice(sellers, GAPS, replace=False)}


def promotion_weeks(rng: np.random.Generator, candidates: list, on_shelf: np.ndarray, days: pd.DatetimeIndex) -> np.ndarray:
    """(product, day) mask: each month, PROMOS_PER_MONTH candidates on promotion for one Mon-Sat week."""
    promo = np.zeros_like(on_shelf)
    mondays = np.flatnonzero(days.day_of_week == 0)  # the period runs Monday .. Sunday
    months = days[mondays].strftime("%Y-%m")
    for month in months.unique():
        starts = rng.choice(mondays[months == month], len(candidates))
        fits = [(p, d) for p, d in zip(rng.permutation(candidates), starts, strict=True) if on_shelf[p, d:d + 6].all()]
        for p, d in fits[:PROMOS_PER_MONTH]:
            promo[p, d:d + 6] = True
    return promo


def bulk_lines(rng: np.random.Generator, candidates: list, usual: np.ndarray, allowed: np.ndarray) -> list:
    """BULK_LINES (product, day, units), one per quarter of the period: BULK_FACTOR x the product's usual daily units."""
    low, high = BULK_USUAL_DAILY
    pool = np.array([p for p in candidates if low <= usual[p] <= high], dtype=int)
    chosen = []
    for quarter in np.array_split(np.arange(allowed.shape[1]), BULK_LINES):
        d = int(rng.choice(quarter[allowed[pool][:, quarter].any(axis=0)]))
        p = int(rng.choice(pool[allowed[pool, d]]))
        chosen.append((p, d, round(rng.uniform(*BULK_FACTOR) * usual[p])))
    return chosen


def add_returns_and_unknowns(rng: np.random.Generator, lines: pd.DataFrame, products: pd.DataFrame, store_id: str) -> pd.DataFrame:
    """About 0.3 % return lines (negative units, list price) and four lines with SKUs the product master lacks."""
    returns = lines.sample(frac=0.003, random_state=int(rng.integers(1 << 30))).assign(promo=0)  # on the card of the sale
    returns["units"] = -rng.integers(1, 3, len(returns))
    returns["revenue"] = np.round(returns["units"] * products.set_index("sku").loc[returns["sku"], "price"].to_numpy(), 2)
    unknown = lines.sample(4, random_state=int(rng.integers(1 << 30))).assign(promo=0, card_id="")
    unknown["sku"] = [f"{c:06d}" for c in rng.integers(900000, 999999, 4)]
    unknown["units"] = rng.integers(1, 4, 4)
    unknown["revenue"] = np.round(unknown["units"] * 2.49, 2)
    return pd.concat([lines, returns, unknown]).sort_values(["date", "sku", "units"], kind="stable").reset_index(drop=True)


def write_all(products, listed, pos_lines, weekly_rate, days, season) -> None:
    """stores.csv (limits calibrated to the current assortments), products, assortment and POS files."""
    pos_dir = HERE / "pos"
    if pos_dir.exists():
        shutil.rmtree(pos_dir)
    products.to_csv(HERE / "products.csv", index=False, lineterminator="\n")
    assortment = pd.DataFrame(
        [(store_id, products.at[p, "sku"]) for s, (store_id, *_r) in enumerate(STORES) for p in listed[s]], columns=["store_id", "sku"]
    )
    assortment.to_csv(HERE / "assortment.csv", index=False, lineterminator="\n")
    recent = season[:, -91:].mean(axis=1)
    store_rows = []
    for s, (store_id, name, town, fmt, area, children, singles, tourist) in enumerate(STORES):
        p = products.loc[listed[s]]
        delivery = np.where(p["fresh"] == 1, FRESH_DELIVERY_DAYS, AMBIENT_DELIVERY_DAYS)
        cycle = np.maximum(np.minimum(delivery, p["shelf_life_days"]), 1)
        rate = weekly_rate[s, listed[s]] * recent[listed[s]]
        inventory = (p["unit_cost"] * (p["case_pack"] + rate / 7 * cycle)).sum()
        capacity = int(round(0.95 * p["shelf_space"].sum()))
        budget = int(round(0.9 * inventory / 100) * 100)
        print(f"{store_id}: {len(p)} listed, shelf capacity {capacity} shelf units, inventory budget EUR {budget}")
        store_rows.append((store_id, name, town, capacity, budget, fmt, area, children, singles, tourist))
    stores = pd.DataFrame(store_rows, columns=["store_id", "name", "town", "shelf_capacity", "inventory_budget", "format",
                                               "sales_area_m2", "share_households_with_children", "share_single_households", "tourist_region"])
    stores.to_csv(HERE / "stores.csv", index=False, lineterminator="\n")
    write_s01(pos_lines[0], pos_dir / "S01")
    write_s02(pos_lines[1], pos_dir / "S02")
    write_s03(pos_lines[2], pos_dir / "S03")
    for store_id, lines in zip(("S01", "S02", "S03"), pos_lines, strict=True):
        print(f"{store_id}: {len(lines)} POS lines, {int((lines['units'] < 0).sum())} returns")


def write_s01(lines: pd.DataFrame, folder: Path) -> None:
    """City store: one file per month, `,` separated, ISO dates, English headers, promo flag (0/1)."""
    folder.mkdir(parents=True)
    for month, part in lines.groupby(lines["date"].dt.strftime("%Y-%m")):
        out = part.assign(date=part["date"].dt.strftime("%Y-%m-%d"))
        out.to_csv(folder / f"S01_{month}.csv", index=False, lineterminator="\n", float_format="%.2f")


def write_s02(lines: pd.DataFrame, folder: Path) -> None:
    """Suburban store: German till export per quarter, `;`, decimal comma, DD.MM.YYYY, CRLF."""
    folder.mkdir(parents=True)
    quarter = lines["date"].dt.year.astype(str) + "Q" + lines["date"].dt.quarter.astype(str)
    for key, part in lines.groupby(quarter):
        out = pd.DataFrame({
            "Datum": part["date"].dt.strftime("%d.%m.%Y"), "Filiale": part["store_id"], "Artikelnummer": part["sku"],
            "Menge": part["units"], "Umsatz": part["revenue"].map(lambda v: f"{v:.2f}".replace(".", ",")),
            "Kundenkarte": part["card_id"], "Bon": part["receipt_id"],
        })
        out.to_csv(folder / f"Kassenexport_{key}.csv", sep=";", index=False, lineterminator="\r\n")


def write_s03(lines: pd.DataFrame, folder: Path) -> None:
    """Rural store: one file per half year in a folder per year, headers day, shop, item, qty, sales_eur."""
    half = np.where(lines["date"].dt.month <= 6, "H1", "H2")
    for (year, h), part in lines.groupby([lines["date"].dt.year, half]):
        (folder / str(year)).mkdir(parents=True, exist_ok=True)
        out = pd.DataFrame({"day": part["date"].dt.strftime("%Y-%m-%d"), "shop": part["store_id"], "item": part["sku"],
                            "qty": part["units"], "sales_eur": part["revenue"], "customer": part["card_id"],
                            "transaction": part["receipt_id"]})
        out.to_csv(folder / str(year) / f"{h}.csv", index=False, lineterminator="\n", float_format="%.2f")


if __name__ == "__main__":
    main()
