#include "ingest/synthetic_population.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/ids.h"
#include "core/region.h"

// Floating-point results must not depend on the target: no fused multiply-add
// (GCC contracts a * b + c by default when the target has FMA, e.g. -march=native).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace shebao::ingest {

std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [0, 1) from a hash of (seed, a, b): per-(person, year) values
// that do not depend on the order of generation.
double hash_unit(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  const std::uint64_t h = splitmix64(seed ^ splitmix64((a << 16) ^ b));
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

namespace {

// ---------------------------------------------------------------------------
// Randomness: mt19937_64 and distribution functions of our own (see header).

// exp(x) from + * / and ldexp only (all exactly specified by IEEE 754), so the
// result does not depend on the C library. Relative error < 1e-15 for |x| < 700.
double deterministic_exp(double x) {
  constexpr double kLn2 = 0.69314718055994530942;
  const double scaled = x / kLn2;
  const int k = static_cast<int>(scaled >= 0 ? scaled + 0.5 : scaled - 0.5);
  const double r = x - k * kLn2;  // |r| <= ~0.35
  double term = 1.0;
  double sum = 1.0;
  for (int n = 1; n <= 18; ++n) {
    term = term * r / n;
    sum += term;
  }
  return std::ldexp(sum, k);
}

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t next() { return engine_(); }

  // Uniform in [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Uniform integer in [lo, hi] (lo <= hi), unbiased by rejection.
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi) {
    assert(lo <= hi);
    const std::uint64_t range = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;
    if (range == 0) return static_cast<std::int64_t>(next());  // the whole 64-bit range
    const std::uint64_t rejected = (std::numeric_limits<std::uint64_t>::max() % range + 1) % range;  // 2^64 mod range
    std::uint64_t x = next();
    while (rejected != 0 && x >= 0 - rejected) x = next();
    return lo + static_cast<std::int64_t>(x % range);
  }
  int uniform(int lo, int hi) { return static_cast<int>(uniform_int(lo, hi)); }

  bool bernoulli(double p) { return uniform01() < p; }

  // Standard normal, approximated by the Irwin-Hall sum of 12 uniforms (tails cut at +-6).
  double normal() {
    double sum = 0.0;
    for (int i = 0; i < 12; ++i) sum += uniform01();
    return sum - 6.0;
  }

  // exp(N(mu, sigma^2)).
  double lognormal(double mu, double sigma) { return deterministic_exp(mu + sigma * normal()); }

  // Index drawn with the given cumulative integer weights (strictly positive total).
  std::size_t pick(const std::vector<std::uint64_t>& cumulative) {
    assert(!cumulative.empty() && cumulative.back() > 0);
    const auto x = static_cast<std::uint64_t>(uniform_int(0, static_cast<std::int64_t>(cumulative.back()) - 1));
    return static_cast<std::size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), x) - cumulative.begin());
  }

 private:
  std::mt19937_64 engine_;
};

template <typename T, typename WeightOf>
std::vector<std::uint64_t> cumulative_weights(const T& items, WeightOf weight_of) {
  std::vector<std::uint64_t> cumulative;
  cumulative.reserve(std::size(items));
  std::uint64_t sum = 0;
  for (const auto& item : items) {
    sum += weight_of(item);
    cumulative.push_back(sum);
  }
  return cumulative;
}

// ---------------------------------------------------------------------------
// Tables.

struct ProvinceFacts {
  int code;
  int population;       // 2023, in 100,000 persons (approximate)
  int average_wage_2024;  // approximate monthly average wage, yuan
};

constexpr std::array<ProvinceFacts, 31> kMainland{{
    {11, 219, 12000}, {12, 136, 9000},  {13, 740, 6500},  {14, 347, 6600},  {15, 240, 7300},  {21, 420, 6900},
    {22, 234, 6600},  {23, 306, 6500},  {31, 249, 12400}, {32, 853, 8800},  {33, 663, 9200},  {34, 612, 7200},
    {35, 418, 7600},  {36, 452, 6500},  {37, 1012, 7400}, {41, 982, 5900},  {42, 584, 7300},  {43, 657, 6600},
    {44, 1270, 9100}, {45, 503, 6500},  {46, 104, 7500},  {50, 319, 7600},  {51, 837, 7400},  {52, 387, 6900},
    {53, 467, 7000},  {54, 36, 10500},  {61, 395, 7200},  {62, 247, 6700},  {63, 59, 8000},   {64, 73, 7500},
    {65, 259, 7600},
}};

const ProvinceFacts* find_facts(int code) {
  for (const ProvinceFacts& facts : kMainland) {
    if (facts.code == code) return &facts;
  }
  return nullptr;
}

bool is_municipality(int code) { return code == 11 || code == 12 || code == 31 || code == 50; }

// Growth of the average wage from year - 1 to year.
double wage_growth_into(int year) {
  if (year >= 2015) return 1.05;
  if (year >= 2005) return 1.12;
  return 1.14;
}

double average_wage_yuan(const ProvinceFacts& facts, int year) {
  double wage = facts.average_wage_2024;
  for (int y = 2025; y <= year; ++y) wage *= wage_growth_into(y);
  for (int y = 2024; y > year; --y) wage /= wage_growth_into(y);
  return wage;
}

std::int64_t round_to_fen(double yuan) { return static_cast<std::int64_t>(yuan * 100.0 + 0.5); }

struct Syllable {
  std::string_view zh;
  std::string_view pinyin;
  int weight;  // family names: frequency in 1/100 %
};

constexpr std::array<Syllable, 86> kFamilyNames{{
    {"王", "Wang", 710},  {"李", "Li", 700},     {"张", "Zhang", 670}, {"刘", "Liu", 540},   {"陈", "Chen", 450},
    {"杨", "Yang", 310},  {"黄", "Huang", 220},  {"赵", "Zhao", 200},  {"吴", "Wu", 200},    {"周", "Zhou", 190},
    {"徐", "Xu", 130},    {"孙", "Sun", 130},    {"马", "Ma", 110},    {"朱", "Zhu", 110},   {"胡", "Hu", 100},
    {"郭", "Guo", 100},   {"何", "He", 90},      {"林", "Lin", 90},    {"高", "Gao", 90},    {"罗", "Luo", 90},
    {"郑", "Zheng", 80},  {"梁", "Liang", 80},   {"谢", "Xie", 70},    {"宋", "Song", 60},   {"唐", "Tang", 60},
    {"许", "Xu", 60},     {"韩", "Han", 60},     {"冯", "Feng", 50},   {"邓", "Deng", 50},   {"曹", "Cao", 50},
    {"彭", "Peng", 50},   {"曾", "Zeng", 50},    {"肖", "Xiao", 50},   {"田", "Tian", 40},   {"董", "Dong", 40},
    {"袁", "Yuan", 40},   {"潘", "Pan", 40},     {"于", "Yu", 40},     {"蒋", "Jiang", 40},  {"蔡", "Cai", 40},
    {"余", "Yu", 40},     {"杜", "Du", 40},      {"叶", "Ye", 30},     {"程", "Cheng", 30},  {"苏", "Su", 30},
    {"魏", "Wei", 30},    {"吕", "Lyu", 30},     {"丁", "Ding", 30},   {"任", "Ren", 30},    {"沈", "Shen", 30},
    {"姚", "Yao", 30},    {"卢", "Lu", 30},      {"姜", "Jiang", 30},  {"崔", "Cui", 30},    {"钟", "Zhong", 30},
    {"谭", "Tan", 30},    {"陆", "Lu", 20},      {"汪", "Wang", 20},   {"范", "Fan", 20},    {"金", "Jin", 20},
    {"石", "Shi", 20},    {"廖", "Liao", 20},    {"贾", "Jia", 20},    {"夏", "Xia", 20},    {"韦", "Wei", 20},
    {"付", "Fu", 20},     {"方", "Fang", 20},    {"白", "Bai", 20},    {"邹", "Zou", 20},    {"孟", "Meng", 20},
    {"熊", "Xiong", 20},  {"秦", "Qin", 20},     {"邱", "Qiu", 20},    {"江", "Jiang", 20},  {"尹", "Yin", 20},
    {"薛", "Xue", 20},    {"闫", "Yan", 20},     {"段", "Duan", 20},   {"雷", "Lei", 20},    {"侯", "Hou", 20},
    {"龙", "Long", 20},   {"史", "Shi", 20},     {"黎", "Li", 10},     {"易", "Yi", 10},     {"常", "Chang", 10},
    {"欧阳", "Ouyang", 2},
}};

constexpr std::array<Syllable, 40> kMaleGiven{{
    {"伟", "wei", 1},   {"强", "qiang", 1}, {"磊", "lei", 1},   {"军", "jun", 1},   {"勇", "yong", 1},
    {"杰", "jie", 1},   {"涛", "tao", 1},   {"明", "ming", 1},  {"超", "chao", 1},  {"刚", "gang", 1},
    {"平", "ping", 1},  {"辉", "hui", 1},   {"鹏", "peng", 1},  {"华", "hua", 1},   {"飞", "fei", 1},
    {"鑫", "xin", 1},   {"波", "bo", 1},    {"斌", "bin", 1},   {"宇", "yu", 1},    {"浩", "hao", 1},
    {"凯", "kai", 1},   {"健", "jian", 1},  {"俊", "jun", 1},   {"帆", "fan", 1},   {"建", "jian", 1},
    {"国", "guo", 1},   {"志", "zhi", 1},   {"海", "hai", 1},   {"东", "dong", 1},  {"峰", "feng", 1},
    {"博", "bo", 1},    {"晨", "chen", 1},  {"轩", "xuan", 1},  {"宏", "hong", 1},  {"恩", "en", 1},
    {"毅", "yi", 1},    {"龙", "long", 1},  {"成", "cheng", 1}, {"亮", "liang", 1}, {"振", "zhen", 1},
}};

constexpr std::array<Syllable, 40> kFemaleGiven{{
    {"芳", "fang", 1}, {"娜", "na", 1},   {"敏", "min", 1},  {"静", "jing", 1}, {"丽", "li", 1},
    {"艳", "yan", 1},  {"娟", "juan", 1}, {"霞", "xia", 1},  {"秀", "xiu", 1},  {"英", "ying", 1},
    {"玲", "ling", 1}, {"婷", "ting", 1}, {"雪", "xue", 1},  {"慧", "hui", 1},  {"莹", "ying", 1},
    {"晶", "jing", 1}, {"欣", "xin", 1},  {"颖", "ying", 1}, {"佳", "jia", 1},  {"琳", "lin", 1},
    {"燕", "yan", 1},  {"红", "hong", 1}, {"梅", "mei", 1},  {"兰", "lan", 1},  {"萍", "ping", 1},
    {"倩", "qian", 1}, {"雅", "ya", 1},   {"怡", "yi", 1},   {"涵", "han", 1},  {"悦", "yue", 1},
    {"爱", "ai", 1},   {"月", "yue", 1},  {"思", "si", 1},   {"雨", "yu", 1},   {"嘉", "jia", 1},
    {"诗", "shi", 1},  {"蕾", "lei", 1},  {"洁", "jie", 1},  {"琪", "qi", 1},   {"妍", "yan", 1},
}};

constexpr std::array<Syllable, 10> kNeutralGiven{{
    {"文", "wen", 1}, {"安", "an", 1},  {"子", "zi", 1},    {"林", "lin", 1}, {"晓", "xiao", 1},
    {"一", "yi", 1},  {"天", "tian", 1}, {"春", "chun", 1}, {"金", "jin", 1}, {"永", "yong", 1},
}};

constexpr std::array<std::string_view, 40> kTradeCharacters{
    "华", "恒", "通", "达", "盛", "宏", "泰", "兴", "隆", "鑫", "源", "嘉", "诚", "瑞", "丰", "博", "远", "新", "创", "金",
    "天", "宇", "海", "辰", "星", "德", "利", "安", "永", "正", "中", "联", "汇", "佳", "润", "明", "康", "科", "信", "鼎"};

constexpr std::array<std::string_view, 20> kIndustries{
    "科技", "贸易", "建筑工程", "物流", "餐饮管理", "机械制造", "电子科技", "食品", "纺织", "物业管理",
    "信息技术", "医药", "汽车服务", "环保科技", "文化传媒", "房地产开发", "农业发展", "服装", "家具", "化工"};

constexpr std::array<std::string_view, 10> kShops{"便利店", "餐馆", "五金店", "理发店", "水果店",
                                                  "汽车修理部", "服装店", "小吃店", "超市", "茶叶店"};

constexpr std::array<std::string_view, 9> kChineseNumerals{"一", "二", "三", "四", "五", "六", "七", "八", "九"};

constexpr std::array<std::string_view, 8> kInstitutions{"中医院", "疾病预防控制中心", "图书馆", "职业技术学院",
                                                        "妇幼保健院", "广播电视台", "实验小学", "农业科学研究院"};

constexpr std::string_view kCreditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

// ---------------------------------------------------------------------------
// Calendar helpers on day serials (days since 1970-01-01).

int day_serial(int year, int month, int day) {
  const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day))};
  return static_cast<int>(std::chrono::sys_days(ymd).time_since_epoch().count());
}

std::chrono::year_month_day ymd_of(int serial) {
  return std::chrono::year_month_day(std::chrono::sys_days(std::chrono::days(serial)));
}

Date date_of(int serial) { return Date::from_days(std::chrono::sys_days(std::chrono::days(serial))); }

int days_in_month(YearMonth month) {
  const std::chrono::year_month_day_last last{std::chrono::year(month.year()),
                                              std::chrono::month_day_last(std::chrono::month(
                                                  static_cast<unsigned>(month.month())))};
  return static_cast<int>(static_cast<unsigned>(last.day()));
}

void put_digits(char* out, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// ---------------------------------------------------------------------------
// The model's state.

enum class Scheme : std::uint8_t { employee, flexible, resident };
enum class Career : std::uint8_t { regular, late_start, seasonal, migrant };

struct Region {
  int code;                 // two digits
  const ProvinceFacts* facts;
  std::string short_name;   // 广东, 内蒙古 ...
  int prefectures;
  std::vector<int> counties;                 // per prefecture
  std::vector<std::uint64_t> prefecture_weights;  // cumulative; the capital counts double
};

struct Employee {
  std::array<char, 18> id;
  float wage_factor;
  std::int32_t retirement_leave_day;  // day serial of the leave at the basic retirement age
  std::uint8_t work_region;           // index into regions
  Career career;
};

struct EmployerState {
  std::array<char, 18> credit_code;
  std::uint32_t headcount;
  std::uint8_t region;  // index into regions
  std::uint8_t pay_day;  // habitual day of the month following, 1..15
  bool late_payer;
  bool defaulter;
  bool occasionally_late;
};

struct Spell {
  std::uint32_t employer;
  std::uint32_t employee;
  std::int16_t start;  // month index of the hire line
  std::int16_t end;    // month index of the last line
  std::uint8_t hire_day;
  std::uint8_t leave_day;  // 0: no leave (open at the end of the period)
};
static_assert(sizeof(Spell) == 16);

// Open-addressing set of 64-bit keys (never 0), for unique resident IDs.
class KeySet {
 public:
  explicit KeySet(std::size_t expected) {
    std::size_t capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    slots_.assign(capacity, 0);
  }
  bool insert(std::uint64_t key) {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(splitmix64(key)) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == key) return false;
      if (slots_[i] == 0) {
        slots_[i] = key;
        return true;
      }
    }
  }

 private:
  std::vector<std::uint64_t> slots_;
};

std::string_view short_name(std::string_view name) {
  for (std::string_view suffix : {"壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市"}) {
    if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) {
      return name.substr(0, name.size() - suffix.size());
    }
  }
  return name;
}

// GB 11714 check character of an 8-character organisation code body.
char organisation_check_character(std::string_view body) {
  static constexpr std::array<int, 8> kWeights{3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    const char c = body[i];
    const int value = (c >= '0' && c <= '9') ? c - '0' : c - 'A' + 10;
    sum += value * kWeights[i];
  }
  const int check = 11 - sum % 11;
  if (check == 10) return 'X';
  if (check == 11) return '0';
  return static_cast<char>('0' + check);
}

class Generator {
 public:
  Generator(const PopulationOptions& options, PopulationSink& sink)
      : options_(options),
        sink_(sink),
        random_(options.seed),
        last_month_(options.end_month),
        first_month_(options.end_month.plus_months(-(options.years * 12 - 1))),
        months_(options.years * 12) {}

  PopulationSummary run() {
    summary_.first_month = first_month_;
    summary_.last_month = last_month_;
    choose_regions();
    generate_persons();
    generate_employers();
    generate_spells();
    emit_months();
    return summary_;
  }

 private:
  // ----- regions -----
  void choose_regions() {
    std::vector<const ProvinceFacts*> candidates;
    for (const ProvinceFacts& facts : kMainland) candidates.push_back(&facts);
    std::vector<const ProvinceFacts*> chosen;
    for (int k = 0; k < options_.regions; ++k) {
      const auto cumulative = cumulative_weights(candidates, [](const ProvinceFacts* f) {
        return static_cast<std::uint64_t>(f->population);
      });
      const std::size_t index = random_.pick(cumulative);
      chosen.push_back(candidates[index]);
      candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(index));
    }
    std::sort(chosen.begin(), chosen.end(), [](const ProvinceFacts* a, const ProvinceFacts* b) {
      return a->code < b->code;
    });
    for (const ProvinceFacts* facts : chosen) {
      Region region;
      region.code = facts->code;
      region.facts = facts;
      const Province* province = find_province(facts->code);
      assert(province != nullptr);
      region.short_name = std::string(short_name(province->name_zh));
      region.prefectures = is_municipality(facts->code) ? 1 : random_.uniform(2, 9);
      std::uint64_t sum = 0;
      for (int p = 0; p < region.prefectures; ++p) {
        region.counties.push_back(random_.uniform(3, 12));
        sum += p == 0 ? 2 : 1;
        region.prefecture_weights.push_back(sum);
      }
      regions_.push_back(std::move(region));
    }
    region_weights_ = cumulative_weights(regions_, [](const Region& r) {
      return static_cast<std::uint64_t>(r.facts->population);
    });
    // Average wages of every year needed (the declared wage of year Y uses Y - 1), in fen.
    first_wage_year_ = first_month_.year() - 1;
    const int wage_years = last_month_.year() - first_wage_year_ + 1;
    for (const Region& region : regions_) {
      for (int y = 0; y < wage_years; ++y) {
        average_fen_.push_back(round_to_fen(average_wage_yuan(*region.facts, first_wage_year_ + y)));
      }
    }
    wage_years_ = wage_years;
  }

  std::int64_t average_fen(std::size_t region, int year) const {
    return average_fen_[region * static_cast<std::size_t>(wage_years_) + static_cast<std::size_t>(year - first_wage_year_)];
  }

  int prefecture_code(std::size_t region, int prefecture) const {
    return regions_[region].code * 10000 + (prefecture + 1) * 100;
  }

  int random_prefecture(std::size_t region) {
    return static_cast<int>(random_.pick(regions_[region].prefecture_weights));
  }

  // A region other than `region`, weighted by population; `region` itself when K == 1.
  std::size_t other_region(std::size_t region) {
    if (regions_.size() == 1) return region;
    for (;;) {
      const std::size_t other = random_.pick(region_weights_);
      if (other != region) return other;
    }
  }

  // ----- persons -----
  void generate_persons() {
    sink_.on_phase("persons", static_cast<std::uint64_t>(options_.persons));
    KeySet ids(static_cast<std::size_t>(options_.persons));
    const int first_day = day_serial(first_month_.year(), first_month_.month(), 1);
    std::string name;
    std::string pinyin;
    const auto family_weights = cumulative_weights(kFamilyNames, [](const Syllable& s) {
      return static_cast<std::uint64_t>(s.weight);
    });
    employees_.reserve(static_cast<std::size_t>(options_.persons * 4 / 5));

    for (std::int64_t person = 0; person < options_.persons; ++person) {
      const std::size_t home = random_.pick(region_weights_);
      const bool male = random_.bernoulli(0.5);
      std::string_view category = "male";
      int retirement_age = 60;
      if (!male) {
        if (random_.bernoulli(0.6)) {
          category = "female_50";
          retirement_age = 50;
        } else {
          category = "female_55";
          retirement_age = 55;
        }
      }
      const double scheme_draw = random_.uniform01();
      const Scheme scheme = scheme_draw < 0.75 ? Scheme::employee
                            : scheme_draw < 0.90 ? Scheme::flexible
                                                 : Scheme::resident;

      // Age on the first day, in days: 18 years and a few days up to the basic
      // retirement age less two months (contributors) or 64 (residents).
      const int youngest = 6600;
      const int oldest = scheme == Scheme::resident ? 23740 : static_cast<int>(retirement_age * 365.2425) - 62;
      int age_days;
      if (random_.bernoulli(0.75)) {
        age_days = random_.uniform(std::min(8040, oldest), std::min(18262, oldest));  // 22 .. 50 years
      } else {
        age_days = random_.uniform(youngest, oldest);
      }
      int birth_day = first_day - age_days;

      // Resident ID, unique: region of birth, birth date, sequence by sex, check.
      const int birth_prefecture = random_prefecture(home);
      const int county = random_.uniform(1, regions_[home].counties[static_cast<std::size_t>(birth_prefecture)]);
      const int birth_region = prefecture_code(home, birth_prefecture) + county;
      int sequence = 0;
      for (int attempt = 0;; ++attempt) {
        if (attempt > 0 && attempt % 64 == 0) --birth_day;  // that day is crowded: the day before
        sequence = 2 * random_.uniform(1, 499) + (male ? 1 : 0);
        const auto key = (static_cast<std::uint64_t>(birth_region) << 30) |
                         (static_cast<std::uint64_t>(birth_day + 100000) << 10) | static_cast<std::uint64_t>(sequence);
        if (ids.insert(key)) break;
      }
      const auto birth = ymd_of(birth_day);
      const int birth_year = static_cast<int>(birth.year());
      const int birth_month = static_cast<int>(static_cast<unsigned>(birth.month()));
      const int birth_dom = static_cast<int>(static_cast<unsigned>(birth.day()));
      std::array<char, 18> id{};
      put_digits(id.data(), birth_region, 6);
      put_digits(id.data() + 6, birth_year, 4);
      put_digits(id.data() + 10, birth_month, 2);
      put_digits(id.data() + 12, birth_dom, 2);
      put_digits(id.data() + 14, sequence, 3);
      id[17] = resident_id_check_character(std::string_view(id.data(), 17));

      // Household registration, name, phone.
      int hukou_prefecture = birth_prefecture;
      if (regions_[home].prefectures > 1 && random_.bernoulli(0.10)) hukou_prefecture = random_prefecture(home);
      std::array<char, 6> hukou{};
      put_digits(hukou.data(), prefecture_code(home, hukou_prefecture), 6);

      const Syllable& family = kFamilyNames[random_.pick(family_weights)];
      name.assign(family.zh);
      pinyin.assign(family.pinyin);
      pinyin.push_back(' ');
      const int given_count = random_.bernoulli(0.65) ? 2 : 1;
      for (int g = 0; g < given_count; ++g) {
        const Syllable* given;
        if (g == 0 && given_count == 2 && random_.bernoulli(0.3)) {
          given = &kNeutralGiven[static_cast<std::size_t>(random_.uniform(0, kNeutralGiven.size() - 1))];
        } else if (male) {
          given = &kMaleGiven[static_cast<std::size_t>(random_.uniform(0, kMaleGiven.size() - 1))];
        } else {
          given = &kFemaleGiven[static_cast<std::size_t>(random_.uniform(0, kFemaleGiven.size() - 1))];
        }
        name.append(given->zh);
        const char initial = given->pinyin[0];
        if (g == 0) {
          pinyin.push_back(static_cast<char>(initial - 'a' + 'A'));
          pinyin.append(given->pinyin.substr(1));
        } else {
          if (initial == 'a' || initial == 'e' || initial == 'o') pinyin.push_back('\'');
          pinyin.append(given->pinyin);
        }
      }
      static constexpr std::array<char, 5> kPhoneSecond{'3', '5', '7', '8', '9'};
      std::array<char, 11> phone{};
      phone[0] = '1';
      phone[1] = kPhoneSecond[static_cast<std::size_t>(random_.uniform(0, 4))];
      put_digits(phone.data() + 2, random_.uniform(0, 999'999'999), 9);

      std::array<char, 6> scheme_region{};
      std::string_view scheme_region_text;
      std::string_view ratio;
      std::string_view scheme_text;
      switch (scheme) {
        case Scheme::employee: {
          scheme_text = "employee";
          ++summary_.employees;
          Employee employee{};
          employee.id = id;
          employee.work_region = static_cast<std::uint8_t>(random_.bernoulli(0.8) ? home : other_region(home));
          employee.wage_factor = static_cast<float>(random_.lognormal(-0.10536051565782628 /* ln 0.9 */, 0.45));
          const auto retirement = std::chrono::year_month_day{
              std::chrono::year(birth_year + retirement_age), birth.month(), birth.day()};
          const int retirement_day = retirement.ok()
                                         ? static_cast<int>(std::chrono::sys_days(retirement).time_since_epoch().count())
                                         : day_serial(birth_year + retirement_age, 3, 1);  // born 29 February
          employee.retirement_leave_day = retirement_day - 1;
          const double career = random_.uniform01();
          employee.career = career < 0.05   ? Career::late_start
                            : career < 0.10 ? Career::seasonal
                            : (career < 0.20 && regions_.size() > 1) ? Career::migrant
                                                                     : Career::regular;
          employees_.push_back(employee);
          break;
        }
        case Scheme::flexible: {
          scheme_text = "flexible";
          ++summary_.flexible;
          const std::size_t work = random_.bernoulli(0.7) ? home : other_region(home);
          put_digits(scheme_region.data(), prefecture_code(work, random_prefecture(work)), 6);
          scheme_region_text = std::string_view(scheme_region.data(), 6);
          const double r = random_.uniform01();
          ratio = r < 0.45 ? "0.60" : r < 0.65 ? "0.80" : r < 0.85 ? "1.00" : r < 0.95 ? "1.50" : "3.00";
          break;
        }
        case Scheme::resident:
          scheme_text = "resident";
          ++summary_.resident;
          scheme_region_text = std::string_view(hukou.data(), 6);
          break;
      }

      PersonRow row;
      row.resident_id = std::string_view(id.data(), 18);
      row.name = name;
      row.name_pinyin = pinyin;
      row.hukou_region = std::string_view(hukou.data(), 6);
      row.phone = std::string_view(phone.data(), 11);
      row.retirement_category = category;
      row.scheme = scheme_text;
      row.scheme_region = scheme_region_text;
      row.flexible_base_ratio = ratio;
      if (scheme == Scheme::employee) {
        switch (employees_.back().career) {
          case Career::regular: row.career = "regular"; break;
          case Career::late_start: row.career = "late_start"; break;
          case Career::seasonal: row.career = "seasonal"; break;
          case Career::migrant: row.career = "migrant"; break;
        }
      }
      sink_.on_person(row);
      ++summary_.persons;
    }
  }

  // ----- employers -----
  void generate_employers() {
    std::vector<std::uint32_t> need(regions_.size(), 0);
    for (const Employee& employee : employees_) ++need[employee.work_region];

    region_first_employer_.assign(regions_.size() + 1, 0);
    for (std::size_t r = 0; r < regions_.size(); ++r) {
      region_first_employer_[r] = static_cast<std::uint32_t>(employers_.size());
      std::uint32_t capacity = 0;
      while (capacity < need[r]) {
        const double size_draw = random_.uniform01();
        double headcount;
        if (size_draw < 0.85) {
          headcount = 1 + static_cast<int>(9 * random_.uniform01() * random_.uniform01());
        } else if (size_draw < 0.98) {
          const double t = random_.uniform01();
          headcount = 10.0 * deterministic_exp(t * t * 2.302585092994046);  // 10 .. 100
        } else if (size_draw < 0.998) {
          const double t = random_.uniform01();
          headcount = 100.0 * deterministic_exp(t * t * 2.302585092994046);  // 100 .. 1000
        } else {
          const double t = random_.uniform01();
          headcount = 1000.0 * deterministic_exp(t * t * 2.0794415416798357);  // 1000 .. 8000
        }
        auto count = std::max<std::uint32_t>(1, static_cast<std::uint32_t>(headcount));
        count = std::min(count, need[r] - capacity);
        capacity += count;
        EmployerState employer{};
        employer.headcount = count;
        employer.region = static_cast<std::uint8_t>(r);
        employers_.push_back(employer);
      }
    }
    region_first_employer_[regions_.size()] = static_cast<std::uint32_t>(employers_.size());
    summary_.employers = static_cast<std::int64_t>(employers_.size());

    // Unique organisation codes: an affine permutation of a counter.
    const std::uint64_t kDigitCodes = 100'000'000;       // 8 digits
    const std::uint64_t kLetterCodes = 887'503'681;      // 31^6, "MA" + 6 characters
    const auto digit_offset = static_cast<std::uint64_t>(random_.uniform_int(0, kDigitCodes - 1));
    const auto letter_offset = static_cast<std::uint64_t>(random_.uniform_int(0, kLetterCodes - 1));
    std::uint64_t digit_stride;
    do {
      digit_stride = static_cast<std::uint64_t>(random_.uniform_int(10'000'000, kDigitCodes - 1));
    } while (digit_stride % 2 == 0 || digit_stride % 5 == 0);
    std::uint64_t letter_stride;
    do {
      letter_stride = static_cast<std::uint64_t>(random_.uniform_int(100'000'000, kLetterCodes - 1));
    } while (letter_stride % 31 == 0);
    std::uint64_t digit_counter = 0;
    std::uint64_t letter_counter = 0;

    sink_.on_phase("employers", employers_.size());
    std::string name;
    for (EmployerState& employer : employers_) {
      const std::size_t r = employer.region;
      const Region& region = regions_[r];
      std::string_view size = employer.headcount < 10     ? "micro"
                              : employer.headcount < 100  ? "small"
                              : employer.headcount < 1000 ? "medium"
                                                          : "large";
      std::string_view unit_type = "enterprise";
      if (employer.headcount < 10) {
        if (random_.bernoulli(0.25)) unit_type = "individual_business";
      } else if (random_.bernoulli(0.08)) {
        unit_type = "public_institution";
      }

      // Credit code.
      std::array<char, 18>& code = employer.credit_code;
      if (unit_type == "enterprise") {
        code[0] = '9';
        code[1] = '1';
      } else if (unit_type == "individual_business") {
        code[0] = '9';
        code[1] = '2';
      } else {
        code[0] = '1';
        code[1] = '2';
      }
      const int prefecture = random_prefecture(r);
      put_digits(code.data() + 2, prefecture_code(r, prefecture), 6);
      char* body = code.data() + 8;
      if (unit_type != "public_institution" && random_.bernoulli(0.7)) {
        std::uint64_t n = (letter_offset + letter_counter++ * letter_stride) % kLetterCodes;
        body[0] = 'M';
        body[1] = 'A';
        for (int i = 7; i >= 2; --i) {
          body[i] = kCreditAlphabet[static_cast<std::size_t>(n % 31)];
          n /= 31;
        }
      } else {
        const std::uint64_t n = (digit_offset + digit_counter++ * digit_stride) % kDigitCodes;
        put_digits(body, static_cast<int>(n), 8);
      }
      body[8] = organisation_check_character(std::string_view(body, 8));
      code[17] = credit_code_check_character(std::string_view(code.data(), 17));

      // Name.
      name.assign(region.short_name);
      if (unit_type == "public_institution") {
        const int kind = random_.uniform(0, 9);
        const std::string_view numeral = kChineseNumerals[static_cast<std::size_t>(random_.uniform(0, 8))];
        if (kind == 0) {
          name.append("第").append(numeral).append("人民医院");
        } else if (kind == 1) {
          name.append("第").append(numeral).append("中学");
        } else {
          name.append(kInstitutions[static_cast<std::size_t>(random_.uniform(0, kInstitutions.size() - 1))]);
        }
      } else {
        const std::size_t a = static_cast<std::size_t>(random_.uniform(0, kTradeCharacters.size() - 1));
        std::size_t b = static_cast<std::size_t>(random_.uniform(0, kTradeCharacters.size() - 2));
        if (b >= a) ++b;
        name.append(kTradeCharacters[a]).append(kTradeCharacters[b]);
        if (unit_type == "individual_business") {
          name.append(kShops[static_cast<std::size_t>(random_.uniform(0, kShops.size() - 1))]);
        } else {
          name.append(kIndustries[static_cast<std::size_t>(random_.uniform(0, kIndustries.size() - 1))]);
          if (size == "large" && random_.bernoulli(0.5)) {
            name.append("集团有限公司");
          } else if ((size == "large" || size == "medium") && random_.bernoulli(0.4)) {
            name.append("股份有限公司");
          } else {
            name.append("有限公司");
          }
        }
      }

      // Payment habits.
      employer.pay_day = static_cast<std::uint8_t>(random_.uniform(3, 15));
      const double habit = random_.uniform01();
      employer.late_payer = habit < 0.05;
      employer.defaulter = habit >= 0.05 && habit < 0.06;
      employer.occasionally_late = habit >= 0.06 && habit < 0.09;

      std::array<char, 6> region_text{};
      put_digits(region_text.data(), prefecture_code(r, prefecture), 6);
      EmployerRow row;
      row.credit_code = std::string_view(code.data(), 18);
      row.name = name;
      row.region = std::string_view(region_text.data(), 6);
      row.size = size;
      row.unit_type = unit_type;
      sink_.on_employer(row);
    }

    // Headcount weights for hires after a job change, per region.
    hire_weights_.resize(regions_.size());
    for (std::size_t r = 0; r < regions_.size(); ++r) {
      std::uint64_t sum = 0;
      for (std::uint32_t e = region_first_employer_[r]; e < region_first_employer_[r + 1]; ++e) {
        sum += employers_[e].headcount;
        hire_weights_[r].push_back(sum);
      }
    }
  }

  bool region_has_employers(std::size_t r) const {
    return region_first_employer_[r + 1] > region_first_employer_[r];
  }

  // An employer of region r weighted by headcount, if possible not `avoid`.
  std::uint32_t hire_employer(std::size_t r, std::uint32_t avoid) {
    const auto count = region_first_employer_[r + 1] - region_first_employer_[r];
    assert(count > 0);
    for (int attempt = 0; attempt < 8; ++attempt) {
      const auto e = region_first_employer_[r] + static_cast<std::uint32_t>(random_.pick(hire_weights_[r]));
      if (e != avoid || count == 1) return e;
    }
    return region_first_employer_[r] + static_cast<std::uint32_t>(random_.uniform(0, static_cast<int>(count) - 1));
  }

  // ----- employment spells -----
  int month_index_of_day(int serial) const {
    const auto ymd = ymd_of(serial);
    return YearMonth::of(static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())))
        .months_since(first_month_);
  }

  int random_day(int month_index) {
    return random_.uniform(1, days_in_month(first_month_.plus_months(month_index)));
  }

  void add_spell(std::uint32_t employer, std::uint32_t employee, int start, int end, int hire_day, int leave_day) {
    assert(start >= 0 && start <= end && end < months_);
    assert(leave_day == 0 || start < end);
    spells_.push_back(Spell{employer, employee, static_cast<std::int16_t>(start), static_cast<std::int16_t>(end),
                            static_cast<std::uint8_t>(hire_day), static_cast<std::uint8_t>(leave_day)});
  }

  void generate_spells() {
    // Initial employers: each employer's headcount as slots, shuffled, handed out in order.
    std::vector<std::vector<std::uint32_t>> slots(regions_.size());
    for (std::uint32_t e = 0; e < employers_.size(); ++e) {
      slots[employers_[e].region].insert(slots[employers_[e].region].end(), employers_[e].headcount, e);
    }
    for (auto& region_slots : slots) {
      for (std::size_t i = region_slots.size(); i > 1; --i) {
        std::swap(region_slots[i - 1], region_slots[static_cast<std::size_t>(random_.uniform_int(0, static_cast<std::int64_t>(i) - 1))]);
      }
    }
    std::vector<std::size_t> next_slot(regions_.size(), 0);
    spells_.reserve(employees_.size() * 5 / 4);

    for (std::uint32_t k = 0; k < employees_.size(); ++k) {
      const Employee& employee = employees_[k];
      const std::uint32_t first_employer = slots[employee.work_region][next_slot[employee.work_region]++];
      const int retirement_leave_day = employee.retirement_leave_day;
      const int retirement_month = month_index_of_day(retirement_leave_day);  // may be beyond the period
      const int retirement_dom = static_cast<int>(static_cast<unsigned>(ymd_of(retirement_leave_day).day()));

      if (employee.career == Career::seasonal) {
        ++summary_.seasonal;
        const int season_start = random_.uniform(3, 6);
        const int season_length = random_.uniform(3, 8);
        const int season_end = std::min(12, season_start + season_length - 1);
        for (int year = first_month_.year(); year <= last_month_.year(); ++year) {
          const int from = YearMonth::of(year, season_start).months_since(first_month_);
          const int to = YearMonth::of(year, season_end).months_since(first_month_);
          int start = std::max(from, 0);
          int end = std::min(to, months_ - 1);
          if (start > end || start >= retirement_month) continue;
          const int hire_day = from < 0 ? 1 : random_day(start);
          int leave_day = to < months_ ? random_day(end) : 0;
          if (end >= retirement_month) {
            end = retirement_month;
            leave_day = retirement_dom;
          }
          if (leave_day != 0 && start == end) continue;  // hire and leave cannot share a line
          add_spell(first_employer, k, start, end, hire_day, leave_day);
        }
        continue;
      }

      int start = 0;
      int hire_day = 1;
      if (employee.career == Career::late_start) {
        start = random_.uniform(1, months_ - 1);
        hire_day = random_day(start);
      }
      int move_month = -1;
      std::size_t region = employee.work_region;
      if (employee.career == Career::migrant) move_month = random_.uniform(1, std::max(1, months_ - 2));
      std::uint32_t employer = first_employer;
      while (start < months_ && start < retirement_month) {
        int end = months_ - 1;
        int leave_day = 0;
        bool stop = true;
        int gap = 0;
        std::size_t next_region = region;
        for (int t = start + 1; t < months_; ++t) {
          if (t == retirement_month) {
            end = t;
            leave_day = retirement_dom;
            break;
          }
          if (move_month >= 0 && t >= move_month) {
            end = t;
            leave_day = random_day(t);
            move_month = -1;
            const std::size_t destination = other_region(region);
            if (destination != region && region_has_employers(destination)) {
              ++summary_.migrants;
              next_region = destination;
            }
            gap = random_.uniform(1, 3);
            stop = false;
            break;
          }
          if (random_.bernoulli(0.01)) {
            end = t;
            leave_day = random_day(t);
            if (random_.bernoulli(0.85)) {
              gap = random_.uniform(1, 6);
              stop = false;
            }
            break;
          }
        }
        add_spell(employer, k, start, end, hire_day, leave_day);
        if (stop || leave_day == 0) break;
        start = end + gap;
        if (start >= months_ || start >= retirement_month) break;
        employer = hire_employer(next_region, employer);
        region = next_region;
        hire_day = random_day(start);
      }
    }
    summary_.spells = static_cast<std::int64_t>(spells_.size());

    std::sort(spells_.begin(), spells_.end(), [](const Spell& a, const Spell& b) {
      if (a.employer != b.employer) return a.employer < b.employer;
      if (a.employee != b.employee) return a.employee < b.employee;
      return a.start < b.start;
    });
    // The spells of employer e are [employer_first_spell_[e], employer_first_spell_[e + 1]).
    employer_first_spell_.assign(employers_.size() + 1, 0);
    for (const Spell& spell : spells_) ++employer_first_spell_[spell.employer + 1];
    for (std::size_t e = 0; e < employers_.size(); ++e) employer_first_spell_[e + 1] += employer_first_spell_[e];
  }

  // ----- months -----
  void emit_months() {
    std::uint64_t total_lines = 0;
    for (const Spell& spell : spells_) total_lines += static_cast<std::uint64_t>(spell.end - spell.start + 1);
    sink_.on_phase("declaration lines", total_lines);

    const YearMonth after_last = last_month_.plus_months(1);
    const int as_of = day_serial(after_last.year(), after_last.month(), 15);

    for (int t = 0; t < months_; ++t) {
      const YearMonth month = first_month_.plus_months(t);
      const int dim = days_in_month(month);
      const YearMonth next = month.plus_months(1);
      const int due = day_serial(next.year(), next.month(), 15);
      const int first_day = day_serial(month.year(), month.month(), 1);
      sink_.on_month_begin(month);

      for (std::uint32_t e = 0; e < employers_.size(); ++e) {
        const EmployerState& employer = employers_[e];
        const std::string_view credit_code(employer.credit_code.data(), 18);
        const std::int64_t average = average_fen(employer.region, month.year() - 1);
        const std::int64_t floor = (average * 60 + 50) / 100;
        const std::int64_t ceiling = average * 3;
        bool declared = false;
        for (std::uint32_t s = employer_first_spell_[e]; s < employer_first_spell_[e + 1]; ++s) {
          const Spell& spell = spells_[s];
          if (t < spell.start || t > spell.end) continue;
          declared = true;
          const Employee& employee = employees_[spell.employee];

          const double yearly = 0.97 + 0.06 * hash_unit(options_.seed, spell.employee, month.year());
          const std::int64_t wage =
              static_cast<std::int64_t>(static_cast<double>(average) * static_cast<double>(employee.wage_factor) * yearly + 0.5);
          if (wage < floor) ++summary_.wages_below_floor;
          if (wage > ceiling) ++summary_.wages_above_ceiling;

          DeclarationLine line;
          line.credit_code = credit_code;
          line.month = month;
          line.resident_id = std::string_view(employee.id.data(), 18);
          line.wage = Money::from_fen(wage);
          if (t == spell.start) {
            line.event = DeclarationEvent::hire;
            line.event_date = date_of(first_day + spell.hire_day - 1);
            line.days_worked = dim - spell.hire_day + 1;
          } else if (t == spell.end && spell.leave_day != 0) {
            line.event = DeclarationEvent::leave;
            line.event_date = date_of(first_day + spell.leave_day - 1);
            line.days_worked = spell.leave_day;
          } else if (random_.bernoulli(0.03)) {
            line.days_worked = dim - random_.uniform(1, 10);
          } else {
            line.days_worked = dim;
          }
          sink_.on_declaration_line(line);
          ++summary_.declaration_lines;
        }
        if (!declared) continue;

        // Payment of this employer's month.
        int paid_on = -1;
        if (employer.defaulter && random_.bernoulli(0.25)) {
          paid_on = -1;
        } else if (employer.late_payer && random_.bernoulli(0.6)) {
          paid_on = due + random_.uniform(1, 150);
        } else if (employer.occasionally_late && random_.bernoulli(0.1)) {
          paid_on = due + random_.uniform(1, 10);
        } else {
          const int day = std::clamp(employer.pay_day + random_.uniform(-2, 2), 1, 15);
          paid_on = day_serial(next.year(), next.month(), day);
        }
        if (paid_on < 0 || paid_on > as_of) {
          ++summary_.unpaid_months;
          continue;
        }
        if (paid_on > due) ++summary_.late_payments;
        sink_.on_payment(PaymentRow{credit_code, month, date_of(paid_on)});
        ++summary_.payments;
      }
      sink_.on_month_end(month);
    }
  }

  const PopulationOptions& options_;
  PopulationSink& sink_;
  Random random_;
  YearMonth last_month_;
  YearMonth first_month_;
  int months_;
  PopulationSummary summary_;

  std::vector<Region> regions_;
  std::vector<std::uint64_t> region_weights_;
  std::vector<std::int64_t> average_fen_;
  int first_wage_year_ = 0;
  int wage_years_ = 0;

  std::vector<Employee> employees_;
  std::vector<EmployerState> employers_;
  std::vector<std::uint32_t> region_first_employer_;
  std::vector<std::vector<std::uint64_t>> hire_weights_;
  std::vector<Spell> spells_;
  std::vector<std::uint32_t> employer_first_spell_;
};

}  // namespace

std::string_view to_string(DeclarationEvent event) {
  switch (event) {
    case DeclarationEvent::none: return "";
    case DeclarationEvent::hire: return "hire";
    case DeclarationEvent::leave: return "leave";
  }
  return "";
}

std::optional<Error> validate_population_options(const PopulationOptions& options) {
  if (options.persons < 1 || options.persons > PopulationOptions::kMaxPersons) {
    return Error{ErrorCode::invalid_input, "--persons",
                 "must be 1 .. " + std::to_string(PopulationOptions::kMaxPersons) + ", got " +
                     std::to_string(options.persons)};
  }
  if (options.regions < 1 || options.regions > PopulationOptions::kMaxRegions) {
    return Error{ErrorCode::invalid_input, "--regions",
                 "must be 1 .. " + std::to_string(PopulationOptions::kMaxRegions) +
                     " (mainland provinces), got " + std::to_string(options.regions)};
  }
  if (options.years < 1 || options.years > PopulationOptions::kMaxYears) {
    return Error{ErrorCode::invalid_input, "--years",
                 "must be 1 .. " + std::to_string(PopulationOptions::kMaxYears) + ", got " +
                     std::to_string(options.years)};
  }
  const YearMonth earliest_end = YearMonth::of(1990, 1);
  const YearMonth latest_end = YearMonth::of(2199, 12);
  if (options.end_month < earliest_end || options.end_month > latest_end) {
    return Error{ErrorCode::invalid_input, "--end-month",
                 "must be 1990-01 .. 2199-12, got " + options.end_month.to_string()};
  }
  const YearMonth first = options.end_month.plus_months(-(options.years * 12 - 1));
  if (first < YearMonth::of(1970, 1)) {
    return Error{ErrorCode::invalid_input, "--years",
                 "the period would start in " + first.to_string() + ", before 1970-01"};
  }
  return std::nullopt;
}

Result<PopulationSummary> generate_population(const PopulationOptions& options, PopulationSink& sink) {
  if (auto problem = validate_population_options(options)) return tl::unexpected(std::move(*problem));
  Generator generator(options, sink);
  return generator.run();
}

Money synthetic_average_wage(int province, int year) {
  const ProvinceFacts* facts = find_facts(province);
  assert(facts != nullptr);
  if (facts == nullptr) return Money{};
  return Money::from_fen(round_to_fen(average_wage_yuan(*facts, year)));
}

}  // namespace shebao::ingest
