#include "matching/record_generator.h"

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/ids.h"
#include "matching/normalize.h"

namespace shebao::matching {
namespace {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : x_(seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL) {}
  std::uint64_t next() {
    x_ += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = x_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
  bool chance(double p) { return unit() < p; }

 private:
  std::uint64_t x_;
};

struct Weighted {
  const char* text;
  int weight;
};

// Surnames with rough shares of the population (per mille).
constexpr Weighted kSurnames[] = {
    {"王", 72}, {"李", 72}, {"张", 68}, {"刘", 53}, {"陈", 45}, {"杨", 31}, {"黄", 22}, {"赵", 22}, {"吴", 20},
    {"周", 19}, {"徐", 16}, {"孙", 15}, {"马", 15}, {"朱", 14}, {"胡", 13}, {"郭", 12}, {"何", 12}, {"高", 11},
    {"林", 11}, {"罗", 10}, {"郑", 10}, {"梁", 9},  {"谢", 8},  {"宋", 8},  {"唐", 8},  {"许", 7},  {"韩", 7},
    {"冯", 7},  {"邓", 7},  {"曹", 7},  {"彭", 6},  {"曾", 6},  {"肖", 6},  {"田", 6},  {"董", 5},  {"袁", 5},
    {"潘", 5},  {"于", 5},  {"蒋", 5},  {"蔡", 5},  {"余", 5},  {"杜", 5},  {"叶", 4},  {"程", 4},  {"苏", 4},
    {"魏", 4},  {"吕", 4},  {"丁", 4},  {"任", 4},  {"沈", 4},  {"姚", 4},  {"卢", 4},  {"姜", 3},  {"崔", 3},
    {"钟", 3},  {"谭", 3},  {"陆", 3},  {"汪", 3},  {"范", 3},  {"金", 3},  {"石", 3},  {"廖", 3},  {"贾", 3},
    {"夏", 3},  {"韦", 3},  {"付", 3},  {"方", 3},  {"白", 3},  {"邹", 3},  {"孟", 3},  {"熊", 3},  {"秦", 3},
    {"邱", 3},  {"江", 3},  {"尹", 3},  {"薛", 2},  {"闫", 2},  {"段", 2},  {"雷", 2},  {"侯", 2},  {"龙", 2},
    {"史", 2},  {"陶", 2},  {"黎", 2},  {"贺", 2},  {"顾", 2},  {"毛", 2},  {"郝", 2},  {"龚", 2},  {"邵", 2},
    {"万", 2},  {"钱", 2},  {"严", 2},  {"覃", 2},  {"武", 2},  {"戴", 2},  {"莫", 2},  {"孔", 2},  {"向", 2},
    {"欧阳", 1}, {"司马", 1}, {"诸葛", 1}, {"上官", 1}, {"司徒", 1}};

// Common given-name characters, the first ones far more often.
constexpr const char* kGiven[] = {
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞",
    "平", "刚", "桂", "英", "华", "玉", "萍", "红", "文", "辉", "建", "国", "春", "晓", "海", "林", "波", "宇", "欣",
    "佳", "俊", "峰", "琳", "鑫", "婷", "雪", "飞", "斌", "浩", "凯", "亮", "健", "梅", "燕", "兰", "凤", "东", "龙",
    "志", "新", "鹏", "丹", "慧", "颖", "莉", "晨", "阳", "思", "雨", "嘉", "子", "博", "宏", "瑞", "泽", "天", "成",
    "家", "安", "荣", "云", "德", "清", "永", "金", "祥", "福", "宁", "悦", "怡", "琪", "晶", "倩", "楠", "哲", "轩",
    "昊", "然", "睿", "涵", "彤", "欢", "乐", "诚", "毅", "立", "光", "良", "庆", "生", "坤", "昌", "利", "振", "世"};

// Homophones (same toneless pinyin), by character.
constexpr std::pair<const char*, const char*> kHomophones[] = {
    {"伟", "玮"}, {"伟", "炜"}, {"芳", "方"}, {"静", "靖"}, {"静", "婧"}, {"丽", "莉"}, {"丽", "俐"}, {"军", "君"},
    {"军", "钧"}, {"杰", "洁"}, {"杰", "婕"}, {"明", "铭"}, {"明", "鸣"}, {"华", "骅"}, {"华", "桦"}, {"涛", "韬"},
    {"涛", "滔"}, {"平", "萍"}, {"平", "苹"}, {"英", "瑛"}, {"磊", "垒"}, {"敏", "珉"}, {"红", "虹"}, {"红", "鸿"},
    {"玉", "钰"}, {"文", "雯"}, {"辉", "晖"}, {"海", "海"}, {"林", "琳"}, {"波", "博"}, {"宇", "雨"}, {"欣", "鑫"},
    {"佳", "嘉"}, {"俊", "骏"}, {"峰", "锋"}, {"婷", "庭"}, {"飞", "菲"}, {"斌", "彬"}, {"浩", "昊"}, {"亮", "靓"},
    {"健", "建"}, {"梅", "玫"}, {"燕", "艳"}, {"兰", "岚"}, {"凤", "峰"}, {"东", "冬"}, {"龙", "隆"}, {"志", "智"},
    {"鹏", "朋"}, {"丹", "单"}, {"慧", "惠"}, {"颖", "莹"}, {"晨", "辰"}, {"阳", "杨"}, {"思", "斯"}, {"瑞", "睿"},
    {"泽", "择"}, {"成", "诚"}, {"云", "芸"}, {"清", "青"}, {"宁", "凝"}, {"琪", "琦"}, {"晶", "菁"}, {"楠", "南"},
    {"涵", "寒"}, {"彤", "桐"}, {"立", "丽"}, {"坤", "昆"}, {"世", "士"}, {"国", "帼"}};

// Region codes (county level) with their province and city names.
struct Place {
  const char* code;
  const char* address;
};
constexpr Place kPlaces[] = {
    {"110101", "北京市东城区"},     {"110105", "北京市朝阳区"},     {"310104", "上海市徐汇区"},
    {"310115", "上海市浦东新区"},   {"440106", "广东省广州市天河区"}, {"440305", "广东省深圳市南山区"},
    {"510104", "四川省成都市锦江区"}, {"330106", "浙江省杭州市西湖区"}, {"420106", "湖北省武汉市武昌区"},
    {"320102", "江苏省南京市玄武区"}, {"370102", "山东省济南市历下区"}, {"410105", "河南省郑州市金水区"},
    {"430102", "湖南省长沙市芙蓉区"}, {"610113", "陕西省西安市雁塔区"}, {"500103", "重庆市渝中区"},
    {"350203", "福建省厦门市思明区"}, {"210102", "辽宁省沈阳市和平区"}, {"230103", "黑龙江省哈尔滨市南岗区"},
    {"530102", "云南省昆明市五华区"}, {"450103", "广西壮族自治区南宁市青秀区"}};

constexpr const char* kStreets[] = {"人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "友谊路", "长江路",
                                    "黄河路", "文化路", "胜利路", "光明街", "朝阳街", "幸福里", "花园路", "学府路"};

// Traditional forms of simplified characters used above.
constexpr std::pair<const char*, const char*> kTraditional[] = {
    {"王", "王"}, {"张", "張"}, {"刘", "劉"}, {"陈", "陳"}, {"杨", "楊"}, {"黄", "黃"}, {"赵", "趙"}, {"吴", "吳"},
    {"孙", "孫"}, {"马", "馬"}, {"郑", "鄭"}, {"冯", "馮"}, {"韩", "韓"}, {"邓", "鄧"}, {"许", "許"}, {"罗", "羅"},
    {"谢", "謝"}, {"肖", "蕭"}, {"叶", "葉"}, {"苏", "蘇"}, {"吕", "呂"}, {"卢", "盧"}, {"钟", "鍾"}, {"谭", "譚"},
    {"陆", "陸"}, {"汪", "汪"}, {"贾", "賈"}, {"邹", "鄒"}, {"龙", "龍"}, {"贺", "賀"}, {"顾", "顧"}, {"龚", "龔"},
    {"钱", "錢"}, {"严", "嚴"}, {"伟", "偉"}, {"丽", "麗"}, {"军", "軍"}, {"杰", "傑"}, {"涛", "濤"}, {"华", "華"},
    {"红", "紅"}, {"辉", "輝"}, {"国", "國"}, {"晓", "曉"}, {"海", "海"}, {"鑫", "鑫"}, {"飞", "飛"}, {"浩", "浩"},
    {"凯", "凱"}, {"亮", "亮"}, {"健", "健"}, {"燕", "燕"}, {"兰", "蘭"}, {"凤", "鳳"}, {"东", "東"}, {"志", "誌"},
    {"鹏", "鵬"}, {"丹", "丹"}, {"慧", "慧"}, {"颖", "穎"}, {"阳", "陽"}, {"宏", "宏"}, {"泽", "澤"}, {"荣", "榮"},
    {"云", "雲"}, {"庆", "慶"}, {"昌", "昌"}, {"振", "振"}, {"欢", "歡"}, {"乐", "樂"}, {"诚", "誠"}, {"宁", "寧"},
    {"琳", "琳"}, {"婷", "婷"}, {"静", "靜"}, {"艳", "艷"}, {"娟", "娟"}, {"刚", "剛"}, {"萍", "萍"}, {"梅", "梅"}};

struct Person {
  std::string surname, given;
  bool male = true;
  int year = 1970, month = 1, day = 1;
  int place = 0;
  int sequence = 0;
  std::string phone, address;
};

std::vector<std::string> characters(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = pos;
    next_code_point(text, pos);
    out.emplace_back(text.substr(start, pos - start));
  }
  return out;
}

std::string two(int v) {
  char buffer[4];
  std::snprintf(buffer, sizeof buffer, "%02d", v);
  return buffer;
}

std::string resident_id(const Person& p) {
  char seq[4];
  std::snprintf(seq, sizeof seq, "%03d", p.sequence);
  std::string first17 = std::string(kPlaces[p.place].code) + std::to_string(p.year) + two(p.month) + two(p.day) + seq;
  return first17 + resident_id_check_character(first17);
}

std::string capitalise(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

}  // namespace

void generate_people(const GeneratorOptions& options, const std::function<void(const GeneratedRecord&)>& out) {
  Rng rng(options.seed);
  ChineseText chinese;
  int surname_total = 0;
  for (const auto& s : kSurnames) surname_total += s.weight;
  const int given_count = static_cast<int>(std::size(kGiven));
  std::unordered_multimap<std::string, std::string> homophones, traditional;
  for (const auto& [a, b] : kHomophones) {
    homophones.emplace(a, b);
    homophones.emplace(b, a);
  }
  for (const auto& [a, b] : kTraditional) traditional.emplace(a, b);

  auto pick_given = [&] {
    // Skewed towards the first characters: min of two uniform draws.
    const int i = static_cast<int>(std::min(rng.below(given_count), rng.below(given_count)));
    return std::string(kGiven[i]);
  };
  auto make_address = [&](int place) {
    return std::string(kPlaces[place].address) + kStreets[rng.below(std::size(kStreets))] +
           std::to_string(1 + rng.below(300)) + "号" + std::to_string(1 + rng.below(20)) + "栋" +
           std::to_string(101 + rng.below(20) * 100 + rng.below(6)) + "室";
  };
  auto make_phone = [&] {
    std::string phone = "1" + std::to_string(3 + rng.below(7));
    for (int i = 0; i < 9; ++i) phone.push_back(static_cast<char>('0' + rng.below(10)));
    return phone;
  };

  // Persons and how many records each gets, until the total is reached.
  struct Planned {
    std::uint32_t person;
    std::uint32_t copy;
  };
  std::vector<Person> persons;
  std::vector<Planned> plan;
  plan.reserve(options.records);
  while (plan.size() < options.records) {
    Person p;
    int draw = static_cast<int>(rng.below(surname_total));
    for (const auto& s : kSurnames) {
      draw -= s.weight;
      if (draw < 0) {
        p.surname = s.text;
        break;
      }
    }
    p.given = pick_given();
    if (rng.chance(0.7)) p.given += pick_given();
    p.male = rng.chance(0.5);
    p.year = 1950 + static_cast<int>(rng.below(56));
    p.month = 1 + static_cast<int>(rng.below(12));
    p.day = 1 + static_cast<int>(rng.below(28));
    p.place = static_cast<int>(rng.below(std::size(kPlaces)));
    p.sequence = static_cast<int>(rng.below(500)) * 2 + (p.male ? 1 : 0);
    p.phone = make_phone();
    p.address = make_address(p.place);
    const std::uint32_t id = static_cast<std::uint32_t>(persons.size());
    persons.push_back(std::move(p));
    int copies = 1;
    if (rng.chance(options.duplicate_share)) copies += 1 + static_cast<int>(rng.below(3));
    for (int c = 0; c < copies && plan.size() < options.records; ++c)
      plan.push_back({id, static_cast<std::uint32_t>(c)});
  }
  // Shuffle the rows.
  for (std::size_t i = plan.size(); i > 1; --i) std::swap(plan[i - 1], plan[rng.below(i)]);

  GeneratedRecord record;
  for (std::size_t row = 0; row < plan.size(); ++row) {
    const Person& p = persons[plan[row].person];
    std::string surname = p.surname, given = p.given;
    int year = p.year, month = p.month, day = p.day;
    std::string id = resident_id(p), phone = p.phone, address = p.address;
    std::string name;
    bool pinyin = false, tones = false, swapped_order = false, trad = false;
    if (plan[row].copy > 0) {
      const int errors = 1 + static_cast<int>(rng.below(3));
      for (int e = 0; e < errors; ++e) {
        switch (rng.below(10)) {
          case 0: {  // homophone in the given name
            auto chars = characters(given);
            const std::size_t k = rng.below(chars.size());
            auto range = homophones.equal_range(chars[k]);
            const auto n = std::distance(range.first, range.second);
            if (n > 0) {
              auto it = range.first;
              std::advance(it, rng.below(n));
              chars[k] = it->second;
            }
            given.clear();
            for (auto& c : chars) given += c;
            break;
          }
          case 1: trad = true; break;
          case 2:
            pinyin = true;
            tones = rng.chance(0.3);
            swapped_order = rng.chance(0.5);
            break;
          case 3: {  // ID typo: a wrong digit or two adjacent digits swapped
            const std::size_t k = 6 + rng.below(10);
            if (rng.chance(0.5)) {
              id[k] = static_cast<char>('0' + (id[k] - '0' + 1 + rng.below(9)) % 10);
            } else {
              std::swap(id[k], id[k + 1]);
            }
            break;
          }
          case 4:  // the old 15-digit ID
            if (id.size() == 18) id = id.substr(0, 6) + id.substr(8, 9);
            break;
          case 5:
            if (day <= 12 && day != month) std::swap(day, month);
            break;
          case 6: {  // moved: another place, new phone
            int place = static_cast<int>(rng.below(std::size(kPlaces)));
            address = make_address(place);
            phone = make_phone();
            break;
          }
          case 7:
            phone.clear();
            break;
          case 8:
            address.clear();
            break;
          default:  // a typo in the house number part of the address
            if (!address.empty()) address = make_address(p.place);
            break;
        }
      }
    }
    if (trad) {
      auto convert = [&](const std::string& text) {
        std::string result;
        for (auto& c : characters(text)) {
          auto it = traditional.find(c);
          result += it != traditional.end() ? it->second : c;
        }
        return result;
      };
      surname = convert(surname);
      given = convert(given);
    }
    if (pinyin) {
      auto romanise = [&](const std::string& text) {
        std::string s = chinese.pinyin(text, tones);
        s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
        return capitalise(s);
      };
      std::string sn = romanise(surname), gn = romanise(given);
      if (rng.chance(0.3)) {
        for (char& c : sn)
          if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      }
      name = swapped_order ? gn + " " + sn : sn + " " + gn;
    } else {
      name = surname + given;
    }
    record.values[0] = "r" + std::to_string(row + 1);
    record.values[1] = "p" + std::to_string(plan[row].person + 1);
    record.values[2] = name;
    record.values[3] = p.male ? "男" : "女";
    record.values[4] = std::to_string(year) + "-" + two(month) + "-" + two(day);
    record.values[5] = id;
    record.values[6] = phone;
    record.values[7] = address;
    out(record);
  }
}

}  // namespace shebao::matching
