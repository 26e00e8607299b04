/**
 * Realistic, deterministic Kenyan HR data for the seed generator: employer
 * names, people's names from Kenya's larger communities, KRA PINs, national
 * IDs, Safaricom/Airtel mobile numbers, and accounts at real Kenyan banks.
 *
 * Everything comes from a seeded PRNG, so one `--seed` always gives the same
 * people (only ciphertext IVs differ: they must be random). KRA PINs and
 * national IDs are unique per tenant by construction (an affine permutation
 * of the employee's index), because the database enforces one of each per
 * tenant through their blind indexes and random draws would collide at scale.
 * The values have valid formats; they are not anyone's real identifiers.
 */

// ---- PRNG -------------------------------------------------------------------

/** cyrb128: a string to four 32-bit seeds (fast, well mixed; not cryptographic). */
function cyrb128(s: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < s.length; i++) {
    const k = s.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

/** sfc32 seeded from a label: `rng("seed:42:tenant:3")`. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  constructor(label: string) {
    [this.#a, this.#b, this.#c, this.#d] = cyrb128(label);
    for (let i = 0; i < 12; i++) this.uint32();
  }
  uint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  digits(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += String(this.uint32() % 10);
    return s;
  }
  /** A version-4-shaped UUID from this stream (deterministic, unlike crypto.randomUUID). */
  uuid(): string {
    const h = [this.uint32(), this.uint32(), this.uint32(), this.uint32()]
      .map((x) => x.toString(16).padStart(8, "0")).join("");
    const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

// ---- reference data -----------------------------------------------------------

interface Community {
  male: readonly string[];
  female: readonly string[];
  surnames: readonly string[];
}

// First names are mostly English/Christian or Muslim given names plus names of
// the community; surnames follow the community. Weighted roughly by population.
const COMMUNITIES: ReadonlyArray<{ weight: number; names: Community }> = [
  { weight: 17, names: { // Kikuyu
    male: ["Kamau", "Njoroge", "Mwangi", "Kariuki", "Githinji", "Waweru", "Peter", "John", "James", "Joseph", "Samuel", "David", "Stephen"],
    female: ["Wanjiru", "Wambui", "Njeri", "Nyambura", "Wairimu", "Wanjiku", "Mary", "Jane", "Grace", "Lucy", "Esther", "Margaret"],
    surnames: ["Kamau", "Mwangi", "Njoroge", "Kariuki", "Githinji", "Waweru", "Maina", "Ndungu", "Gitau", "Muriuki", "Kimani", "Wainaina", "Njuguna", "Macharia"],
  } },
  { weight: 14, names: { // Luhya
    male: ["Wafula", "Wanyama", "Barasa", "Simiyu", "Wekesa", "Shikuku", "Brian", "Dennis", "Kevin", "Victor", "Collins", "Moses"],
    female: ["Nafula", "Nekesa", "Naliaka", "Khakasa", "Nasimiyu", "Mercy", "Faith", "Purity", "Sharon", "Beatrice", "Rose"],
    surnames: ["Wafula", "Wanyama", "Barasa", "Simiyu", "Wekesa", "Makokha", "Juma", "Masinde", "Wangila", "Khaemba", "Mulama", "Shitanda"],
  } },
  { weight: 13, names: { // Kalenjin
    male: ["Kiprop", "Kipchoge", "Kiptoo", "Cheruiyot", "Kibet", "Kiplagat", "Kipkemboi", "Daniel", "Eliud", "Wilson", "Geoffrey", "Nicholas"],
    female: ["Chebet", "Jepkosgei", "Chepkoech", "Jeruto", "Chelangat", "Jepchirchir", "Cherono", "Vivian", "Joyce", "Caroline", "Hellen"],
    surnames: ["Kiprop", "Cheruiyot", "Kosgei", "Rotich", "Koech", "Langat", "Kirui", "Kiprono", "Ruto", "Tanui", "Bett", "Sang", "Kemboi"],
  } },
  { weight: 11, names: { // Luo
    male: ["Otieno", "Odhiambo", "Ochieng", "Onyango", "Omondi", "Owino", "Okoth", "George", "Tom", "Fredrick", "Charles", "Erick"],
    female: ["Achieng", "Atieno", "Akinyi", "Adhiambo", "Awino", "Anyango", "Auma", "Christine", "Milicent", "Judith", "Pamela", "Lilian"],
    surnames: ["Otieno", "Odhiambo", "Ochieng", "Onyango", "Omondi", "Owino", "Okoth", "Oduor", "Ouma", "Oloo", "Obonyo", "Awuor", "Nyong'o"],
  } },
  { weight: 10, names: { // Kamba
    male: ["Mutua", "Musyoka", "Kioko", "Mutiso", "Muthama", "Ndambuki", "Paul", "Francis", "Patrick", "Benson", "Jackson"],
    female: ["Mwikali", "Mwende", "Ndinda", "Kalondu", "Syokau", "Mumbua", "Agnes", "Catherine", "Josephine", "Winnie"],
    surnames: ["Mutua", "Musyoka", "Kioko", "Mutiso", "Ndunda", "Muthama", "Kilonzo", "Mule", "Nzioka", "Wambua", "Muema", "Kyalo"],
  } },
  { weight: 6, names: { // Kisii
    male: ["Nyamweya", "Ondieki", "Onchwari", "Moseti", "Nyakundi", "Evans", "Dismas", "Josiah", "Walter"],
    female: ["Nyaboke", "Moraa", "Kemunto", "Kwamboka", "Bochaberi", "Nyanchama", "Doris", "Irene", "Everlyne"],
    surnames: ["Nyamweya", "Ondieki", "Omwenga", "Nyakundi", "Mogaka", "Ombati", "Nyabuto", "Onyancha", "Momanyi", "Oirere"],
  } },
  { weight: 6, names: { // Meru and Embu
    male: ["Mutuma", "Kinoti", "Gitonga", "Kirimi", "Murithi", "Mugambi", "Lawrence", "Anthony", "Martin"],
    female: ["Kawira", "Nkatha", "Makena", "Kendi", "Gakii", "Karimi", "Gladys", "Eunice", "Nancy"],
    surnames: ["Mutuma", "Kinoti", "Gitonga", "Kirimi", "Murithi", "Mugambi", "Mwiti", "Kaberia", "Mbaabu", "Nyaga", "Njue"],
  } },
  { weight: 6, names: { // Coast and Swahili
    male: ["Hassan", "Ali", "Mohamed", "Omar", "Salim", "Bakari", "Juma", "Rashid", "Said", "Hamisi"],
    female: ["Fatuma", "Amina", "Mwanajuma", "Zainabu", "Rehema", "Halima", "Mwanaisha", "Saida", "Aisha"],
    surnames: ["Hassan", "Ali", "Mohamed", "Omar", "Salim", "Bakari", "Mwinyi", "Chengo", "Kazungu", "Katana", "Baya", "Ngala", "Kahindi"],
  } },
  { weight: 4, names: { // Somali
    male: ["Abdi", "Hussein", "Abdullahi", "Ibrahim", "Mohamud", "Yusuf", "Ahmed", "Hassan"],
    female: ["Hodan", "Fardowsa", "Sahra", "Ayan", "Ubah", "Hawa", "Khadija", "Deeqa"],
    surnames: ["Abdi", "Hussein", "Farah", "Osman", "Aden", "Warsame", "Ibrahim", "Mohamud", "Abdullahi", "Noor"],
  } },
  { weight: 3, names: { // Maasai and Samburu
    male: ["Lemayian", "Saitoti", "Sankale", "Parsimei", "Lekishon", "Moses", "Daniel"],
    female: ["Naserian", "Nashipae", "Resiato", "Nalangu", "Silantoi", "Sein", "Grace"],
    surnames: ["Ole Sankale", "Ole Nkaissery", "Lemayian", "Saitoti", "Parsimei", "Leteipa", "Lekishon", "Kores", "Nkoitiko"],
  } },
];
const COMMUNITY_WEIGHT = COMMUNITIES.reduce((n, c) => n + c.weight, 0);

/** Mobile ranges (0 + 3-digit prefix, then 6 digits), per the Communications Authority's numbering plan. */
export const MOBILE_PREFIXES = {
  safaricom: ["701", "702", "703", "704", "705", "706", "707", "708", "709", "710", "711", "712", "713", "714", "715", "716", "717", "718", "719", "720", "721", "722", "723", "724", "725", "726", "727", "728", "729", "740", "741", "742", "743", "745", "746", "748", "757", "758", "759", "768", "769", "790", "791", "792", "793", "794", "795", "796", "797", "798", "799", "110", "111", "112", "113", "114", "115"],
  airtel: ["730", "731", "732", "733", "734", "735", "736", "737", "738", "739", "750", "751", "752", "753", "754", "755", "756", "762", "780", "781", "782", "783", "784", "785", "786", "787", "788", "789", "100", "101", "102"],
} as const;

export interface Bank {
  /** CBK bank code (the first part of a Kenyan bank/branch sort code). */
  code: string;
  name: string;
  /** Digits in this bank's account numbers. */
  accountDigits: number;
  /** Branch codes (3 digits); 000 is the head office in CBK's scheme. */
  branches: readonly string[];
}

// Banks licensed by the Central Bank of Kenya, with their CBK codes. Branch
// codes use CBK's 3-digit format; the lists are a sample, weighted towards the
// banks most employers pay salaries through.
export const BANKS: readonly Bank[] = [
  { code: "01", name: "Kenya Commercial Bank", accountDigits: 10, branches: ["091", "094", "095", "100", "102", "104", "107", "110", "114", "119"] },
  { code: "68", name: "Equity Bank", accountDigits: 13, branches: ["000", "001", "002", "003", "004", "005", "007", "009", "011", "017"] },
  { code: "11", name: "Co-operative Bank of Kenya", accountDigits: 14, branches: ["000", "002", "003", "004", "005", "007", "008", "011", "014", "016"] },
  { code: "07", name: "NCBA Bank Kenya", accountDigits: 10, branches: ["000", "001", "002", "003", "004", "005", "006", "008"] },
  { code: "03", name: "Absa Bank Kenya", accountDigits: 10, branches: ["001", "002", "003", "004", "005", "006", "007", "008", "009", "010"] },
  { code: "02", name: "Standard Chartered Bank Kenya", accountDigits: 13, branches: ["000", "001", "002", "003", "004", "006", "007", "008"] },
  { code: "31", name: "Stanbic Bank Kenya", accountDigits: 13, branches: ["000", "002", "003", "004", "005", "006", "007"] },
  { code: "63", name: "Diamond Trust Bank Kenya", accountDigits: 10, branches: ["000", "001", "002", "003", "004", "005", "006", "008"] },
  { code: "57", name: "I&M Bank", accountDigits: 10, branches: ["000", "001", "002", "003", "004", "005", "007"] },
  { code: "70", name: "Family Bank", accountDigits: 12, branches: ["000", "001", "002", "003", "004", "005", "006"] },
  { code: "12", name: "National Bank of Kenya", accountDigits: 13, branches: ["000", "001", "002", "003", "004", "005", "006"] },
  { code: "66", name: "Sidian Bank", accountDigits: 11, branches: ["000", "001", "002", "003", "004"] },
  { code: "61", name: "HFC (Housing Finance)", accountDigits: 12, branches: ["000", "001", "002", "003", "004"] },
  { code: "72", name: "Gulf African Bank", accountDigits: 10, branches: ["000", "001", "002", "003"] },
  { code: "23", name: "Consolidated Bank of Kenya", accountDigits: 12, branches: ["000", "001", "002", "003", "004"] },
  { code: "74", name: "First Community Bank", accountDigits: 10, branches: ["000", "001", "002", "003"] },
];
// Bigger banks hold most salary accounts: the order above is the weight order.
const BANK_WEIGHTS = BANKS.map((_, i) => Math.max(1, 24 - 3 * i));
const BANK_WEIGHT = BANK_WEIGHTS.reduce((a, b) => a + b, 0);

const EMPLOYER_WORDS = ["Baraka", "Tausi", "Mwangaza", "Jamhuri", "Simba", "Neema", "Upendo", "Pwani", "Savannah", "Kilima", "Rift Valley", "Tana", "Amani", "Faraja", "Nyota", "Jua", "Uhuru", "Mara", "Kenya Highlands", "Lake Basin", "Tsavo", "Malindi", "Nakuru", "Elgon"];
const EMPLOYER_TRADES = ["Foods", "Logistics", "Tea Estates", "Textiles", "Engineering", "Hardware", "Dairies", "Flowers", "Motors", "Pharmaceuticals", "Construction", "Hotels", "Security Services", "Agrovet", "Supermarkets", "Bakers", "Printers", "Coffee Growers"];
const EMPLOYER_SUFFIXES = ["Ltd", "Limited", "Kenya Ltd", "& Sons Ltd", "(EA) Ltd", "Group"];

const DEPARTMENTS: Record<string, readonly string[]> = {
  Finance: ["Accountant", "Finance Officer", "Accounts Assistant", "Payroll Officer", "Finance Manager"],
  "Human Resources": ["HR Officer", "HR Assistant", "HR Manager", "Recruitment Officer"],
  Operations: ["Operations Supervisor", "Machine Operator", "Storekeeper", "Quality Controller", "Production Clerk"],
  Sales: ["Sales Representative", "Sales Executive", "Key Account Manager", "Merchandiser"],
  Logistics: ["Driver", "Dispatch Clerk", "Fleet Supervisor", "Loader"],
  "Information Technology": ["Software Developer", "ICT Officer", "Systems Administrator", "Data Analyst"],
  Administration: ["Office Administrator", "Receptionist", "Personal Assistant", "Cleaner", "Security Guard"],
  "Customer Service": ["Customer Service Agent", "Call Centre Agent", "Customer Experience Lead"],
};
const DEPARTMENT_NAMES = Object.keys(DEPARTMENTS);

// ---- generators -----------------------------------------------------------------

export interface TenantSeed {
  id: string;
  name: string;
  slug: string;
}

export interface EmployeeSeed {
  id: string;
  tenantId: string;
  employeeNumber: string;
  firstName: string;
  lastName: string;
  otherNames: string | null;
  dateOfBirth: string;
  jobTitle: string;
  department: string;
  employmentStartDate: string;
  status: "active" | "on_leave" | "suspended" | "terminated";
  bankCode: string;
  branchCode: string;
  /** Protected values, raw as a person would type them (the vault normalises them). */
  pii: { kra_pin: string; national_id: string; phone: string; bank_account: string };
}

/** Dates are relative to a fixed day, not today, so a seed gives the same rows every year. */
const REFERENCE_DAY = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;

export function tenantSeed(seed: string, index: number): TenantSeed {
  const r = new Rng(`kazi:${seed}:tenant:${index}`);
  const name = `${r.pick(EMPLOYER_WORDS)} ${r.pick(EMPLOYER_TRADES)} ${r.pick(EMPLOYER_SUFFIXES)}`;
  const base = name.toLowerCase().replace(/&/g, "and").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40);
  // seed tag + index keep slugs unique across tenants and across seeds in one database
  const tag = cyrb128(`kazi:${seed}`)[0].toString(36).slice(0, 5);
  return { id: r.uuid(), name, slug: `${base}-${tag}-${index.toString(36)}` };
}

/** Employees of one tenant in order; `count` of them, numbered from 1. */
export function* employeeSeeds(seed: string, tenant: TenantSeed, count: number): Generator<EmployeeSeed> {
  const r = new Rng(`kazi:${seed}:employees:${tenant.id}`);
  // Affine permutations: index i -> (a*i + b) mod m is one-to-one when gcd(a, m) = 1.
  const kra = permutation(r, 1_000_000_000);
  const nid = permutation(r, 30_000_000);
  for (let i = 0; i < count; i++) yield employee(r, tenant.id, i, kra(i), 10_000_000 + nid(i));
}

function employee(r: Rng, tenantId: string, i: number, kraDigits: number, nationalId: number): EmployeeSeed {
  const c = weighted(r, COMMUNITIES.map((x) => x.weight), COMMUNITY_WEIGHT);
  const names = COMMUNITIES[c].names;
  const female = r.next() < 0.48;
  const firstName = r.pick(female ? names.female : names.male);
  let lastName = r.pick(names.surnames);
  if (lastName === firstName) lastName = r.pick(names.surnames);
  const otherNames = r.next() < 0.55 ? r.pick(female ? names.female : names.male) : null;
  const ageDays = r.int(19 * 365, 62 * 365);
  const born = REFERENCE_DAY - ageDays * DAY_MS;
  const adult = born + 18 * 365 * DAY_MS;
  const started = adult + Math.floor(r.next() * (REFERENCE_DAY - adult));
  const department = r.pick(DEPARTMENT_NAMES);
  const bank = BANKS[weighted(r, BANK_WEIGHTS, BANK_WEIGHT)];
  const mobile = r.next() < 0.66 ? MOBILE_PREFIXES.safaricom : MOBILE_PREFIXES.airtel;
  const s = r.next();
  return {
    id: r.uuid(),
    tenantId,
    employeeNumber: `EMP-${String(i + 1).padStart(7, "0")}`,
    firstName,
    lastName,
    otherNames: otherNames === firstName ? null : otherNames,
    dateOfBirth: isoDay(born),
    jobTitle: r.pick(DEPARTMENTS[department]),
    department,
    employmentStartDate: isoDay(started),
    status: s < 0.92 ? "active" : s < 0.96 ? "on_leave" : s < 0.98 ? "suspended" : "terminated",
    bankCode: bank.code,
    branchCode: r.pick(bank.branches),
    pii: {
      // individuals' PINs: A, nine digits, a check letter
      kra_pin: `A${String(kraDigits).padStart(9, "0")}${String.fromCharCode(65 + r.int(0, 25))}`,
      national_id: String(nationalId),
      // as people write them: mostly 07xx..., some +254 7xx ...
      phone: r.next() < 0.8 ? `0${r.pick(mobile)}${r.digits(6)}` : `+254 ${r.pick(mobile)} ${r.digits(3)} ${r.digits(3)}`,
      bank_account: firstNonZero(r) + r.digits(bank.accountDigits - 1),
    },
  };
}

function permutation(r: Rng, m: number): (i: number) => number {
  let a = r.int(Math.floor(m / 3), m - 1);
  while (gcd(a, m) !== 1) a++;
  const b = r.int(0, m - 1);
  // a*i can exceed 2^53 for m = 1e9: do the product in BigInt.
  const A = BigInt(a), B = BigInt(b), M = BigInt(m);
  return (i) => {
    if (i >= m) throw new RangeError(`at most ${m} values per tenant`);
    return Number((A * BigInt(i) + B) % M);
  };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function weighted(r: Rng, weights: readonly number[], total: number): number {
  let x = r.next() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i];
    if (x < 0) return i;
  }
  return weights.length - 1;
}

function firstNonZero(r: Rng): string {
  return String(r.int(1, 9));
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** How `total` employees spread over `tenants`: as even as possible, earlier tenants get the remainder. */
export function employeesPerTenant(total: number, tenants: number): number[] {
  const base = Math.floor(total / tenants);
  return Array.from({ length: tenants }, (_, t) => base + (t < total % tenants ? 1 : 0));
}
