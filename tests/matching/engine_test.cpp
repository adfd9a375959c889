#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "matching/compare.h"
#include "matching/engine.h"
#include "matching/normalize.h"
#include "matching/record_generator.h"
#include "matching/score.h"

namespace shebao::matching {
namespace {

// A small RFC 4180 reader for the test data (quoted fields, no embedded newlines needed).
std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream file(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(file, line)) {
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted) {
        if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.push_back(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        row.push_back(field);
        field.clear();
      } else {
        field.push_back(c);
      }
    }
    row.push_back(field);
    rows.push_back(row);
  }
  return rows;
}

// The table the engine sees (no record_id, no entity_id) and the truth apart.
struct Loaded {
  std::unique_ptr<Table> table;
  std::vector<std::uint64_t> entity;
};

Loaded load(const std::vector<std::vector<std::string>>& rows) {
  const auto& header = rows.at(0);
  std::vector<std::string> columns;
  std::vector<std::size_t> keep;
  std::size_t entity_column = 0;
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (header[c] == "entity_id") entity_column = c;
    if (header[c] == "record_id" || header[c] == "entity_id") continue;
    columns.push_back(header[c]);
    keep.push_back(c);
  }
  Loaded out;
  out.table = std::make_unique<Table>(columns);
  std::unordered_map<std::string, std::uint64_t> ids;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    std::vector<std::string_view> values;
    for (std::size_t c : keep) values.emplace_back(rows[r][c]);
    out.table->add_row(values);
    out.entity.push_back(ids.emplace(rows[r][entity_column], ids.size()).first->second);
  }
  return out;
}

Loaded load_dataset(const std::string& name) {
  return load(read_csv(std::string(SHEBAO_TEST_DATA_DIR) + "/data/linkage/" + name + "/records.csv"));
}

Loaded generated(std::uint64_t records, std::uint64_t seed) {
  std::vector<std::vector<std::string>> rows;
  rows.emplace_back(kGeneratedColumns.begin(), kGeneratedColumns.end());
  generate_people({records, 0.3, seed}, [&](const GeneratedRecord& r) {
    rows.emplace_back(r.values.begin(), r.values.end());
  });
  return load(rows);
}

std::vector<std::uint64_t> as_labels(const std::vector<std::uint32_t>& clusters) {
  return std::vector<std::uint64_t>(clusters.begin(), clusters.end());
}

TEST(Columns, KindsFromNames) {
  EXPECT_EQ(kind_for_column("given_name"), FieldKind::given_name);
  EXPECT_EQ(kind_for_column("surname"), FieldKind::surname);
  EXPECT_EQ(kind_for_column("name"), FieldKind::full_name);
  EXPECT_EQ(kind_for_column("dob"), FieldKind::date);
  EXPECT_EQ(kind_for_column("resident_id"), FieldKind::id);
  EXPECT_EQ(kind_for_column("postcode"), FieldKind::code);
  EXPECT_EQ(kind_for_column("phone_number"), FieldKind::phone);
  EXPECT_EQ(kind_for_column("entity_id"), FieldKind::ignored);
  EXPECT_EQ(kind_for_column("blocking_number"), FieldKind::ignored);
  EXPECT_EQ(kind_for_column("occupation"), FieldKind::text);
}

TEST(Score, MatchesReferenceVectors) {
  // EVALUATION.md test vectors for febrl1: perfect, singletons, one cluster.
  const Loaded data = load_dataset("febrl1");
  const auto n = data.entity.size();
  auto perfect = score_clusters(data.entity, data.entity);
  EXPECT_DOUBLE_EQ(perfect.f1, 1.0);
  EXPECT_EQ(perfect.predicted_pairs, 500u);
  std::vector<std::uint64_t> singletons(n), one(n, 7);
  for (std::size_t i = 0; i < n; ++i) singletons[i] = i;
  auto s = score_clusters(singletons, data.entity);
  EXPECT_DOUBLE_EQ(s.precision, 1.0);
  EXPECT_DOUBLE_EQ(s.recall, 0.0);
  EXPECT_DOUBLE_EQ(s.f1, 0.0);
  EXPECT_NEAR(s.b3_f1, 0.666667, 1e-6);
  auto o = score_clusters(one, data.entity);
  EXPECT_NEAR(o.precision, 0.001001, 1e-6);
  EXPECT_NEAR(o.b3_f1, 0.003992, 1e-6);
  EXPECT_EQ(o.predicted_pairs, 499500u);
}

TEST(Score, ReproducesTheReferenceBaselineScore) {
  // EVALUATION.md: the recordlinkage ECM baseline's clusters on
  // historical_50k (reference/), with the score the reference scorer gives.
  const auto truth = read_csv(std::string(SHEBAO_TEST_DATA_DIR) + "/data/linkage/splink_historical_50k/records.csv");
  const auto predicted =
      read_csv(std::string(SHEBAO_TEST_DATA_DIR) + "/data/linkage/reference/splink_historical_50k.ecm_cc.predictions.csv");
  ASSERT_EQ(predicted.at(0), (std::vector<std::string>{"record_id", "cluster_id"}));
  const auto& header = truth.at(0);
  const auto record_column = std::find(header.begin(), header.end(), "record_id") - header.begin();
  const auto entity_column = std::find(header.begin(), header.end(), "entity_id") - header.begin();
  ASSERT_LT(static_cast<std::size_t>(entity_column), header.size());
  std::unordered_map<std::string, std::uint64_t> cluster_of, entity_ids, cluster_ids;
  for (std::size_t r = 1; r < predicted.size(); ++r)
    cluster_of[predicted[r].at(0)] = cluster_ids.emplace(predicted[r].at(1), cluster_ids.size()).first->second;
  std::vector<std::uint64_t> cluster, entity;
  for (std::size_t r = 1; r < truth.size(); ++r) {
    const auto found = cluster_of.find(truth[r].at(record_column));
    ASSERT_NE(found, cluster_of.end()) << "no prediction for " << truth[r].at(record_column);
    cluster.push_back(found->second);
    entity.push_back(entity_ids.emplace(truth[r].at(entity_column), entity_ids.size()).first->second);
  }
  const Scores s = score_clusters(cluster, entity);
  EXPECT_EQ(s.records, 50578u);
  EXPECT_EQ(s.true_pairs, 303961u);
  EXPECT_EQ(s.predicted_pairs, 1067038u);
  EXPECT_EQ(s.correct_pairs, 213773u);
  EXPECT_NEAR(s.precision, 0.200342, 1e-6);
  EXPECT_NEAR(s.recall, 0.703291, 1e-6);
  EXPECT_NEAR(s.f1, 0.31185, 1e-5);
  EXPECT_NEAR(s.b3_precision, 0.898213, 1e-6);
  EXPECT_NEAR(s.b3_recall, 0.723468, 1e-6);
  EXPECT_NEAR(s.b3_f1, 0.801425, 1e-6);
}

TEST(Engine, EveryFebrlDsgenSetAboveGoal) {
  // The dsgen series (one modification per duplicate): smoke and regression
  // sets at every size shipped, deduplication (A) and two-source linkage (D).
  for (const char* name : {"febrl_dsgen_A_1000", "febrl_dsgen_A_2500", "febrl_dsgen_A_5000", "febrl_dsgen_A_10000",
                           "febrl_dsgen_D_1000", "febrl_dsgen_D_2500", "febrl_dsgen_D_5000", "febrl_dsgen_D_10000"}) {
    const Loaded data = load_dataset(name);
    const auto result = deduplicate(*data.table, Settings{});
    EXPECT_GE(score_clusters(as_labels(result.clusters), data.entity).f1, 0.99) << name;
  }
}

TEST(Engine, Febrl1AboveGoal) {
  const Loaded data = load_dataset("febrl1");
  const auto result = deduplicate(*data.table, Settings{});
  const auto s = score_clusters(as_labels(result.clusters), data.entity);
  EXPECT_GE(s.f1, 0.99);
  EXPECT_GT(result.stats.comparisons, 0u);
  // Comparisons stay far below all pairs (blocking).
  EXPECT_LT(result.stats.comparisons, 1000u * 999 / 2 / 50);
}

TEST(Engine, GeneratedChineseRecords) {
  const Loaded data = generated(3000, 5);
  const auto result = deduplicate(*data.table, Settings{});
  const auto s = score_clusters(as_labels(result.clusters), data.entity);
  EXPECT_GE(s.f1, 0.95);
  EXPECT_GE(s.b3_f1, 0.97);
}

TEST(Engine, SameResultWithAnyNumberOfThreads) {
  // Normalisation, estimation and comparison all run on Settings::threads.
  for (const Loaded& data : {load_dataset("febrl2"), generated(6000, 3)}) {
    Settings one;
    one.threads = 1;
    const auto a = deduplicate(*data.table, one);
    for (int threads : {2, 3}) {
      Settings many;
      many.threads = threads;
      const auto b = deduplicate(*data.table, many);
      EXPECT_EQ(a.clusters, b.clusters);
      EXPECT_EQ(a.stats.comparisons, b.stats.comparisons);
      EXPECT_EQ(a.stats.em_pairs, b.stats.em_pairs);
      EXPECT_EQ(a.stats.kept_pairs, b.stats.kept_pairs);
      EXPECT_EQ(a.model.lambda, b.model.lambda);
      ASSERT_EQ(a.model.fields.size(), b.model.fields.size());
      for (std::size_t f = 0; f < a.model.fields.size(); ++f) {
        EXPECT_EQ(a.model.fields[f].m, b.model.fields[f].m);
        EXPECT_EQ(a.model.fields[f].u, b.model.fields[f].u);
      }
      ASSERT_EQ(a.review.size(), b.review.size());
      for (std::size_t r = 0; r < a.review.size(); ++r) {
        EXPECT_EQ(a.review[r].pair.a, b.review[r].pair.a);
        EXPECT_EQ(a.review[r].pair.b, b.review[r].pair.b);
        EXPECT_EQ(a.review[r].pair.weight, b.review[r].pair.weight);
      }
    }
  }
}

TEST(Engine, SameResultWhetherRowsAreCopiedOrReadInPlace) {
  // score() copies the rows of larger blocks only for registries whose rows
  // outgrow the caches; both ways compare the same pairs the same way.
  const Loaded data = load_dataset("febrl3");
  Settings in_place;
  in_place.copy_rows_above = std::numeric_limits<std::size_t>::max();
  Settings copied;
  copied.copy_rows_above = 0;
  const auto a = deduplicate(*data.table, in_place);
  const auto b = deduplicate(*data.table, copied);
  EXPECT_GT(a.stats.comparisons, 10'000u);
  EXPECT_EQ(a.stats.comparisons, b.stats.comparisons);
  EXPECT_EQ(a.stats.kept_pairs, b.stats.kept_pairs);
  EXPECT_EQ(a.clusters, b.clusters);
  ASSERT_EQ(a.review.size(), b.review.size());
  for (std::size_t r = 0; r < a.review.size(); ++r) {
    EXPECT_EQ(a.review[r].pair.a, b.review[r].pair.a);
    EXPECT_EQ(a.review[r].pair.b, b.review[r].pair.b);
    EXPECT_EQ(a.review[r].pair.weight, b.review[r].pair.weight);
  }
}

TEST(Engine, EachCandidatePairComparedOnce) {
  // Records 0-2 share every blocking key; record 3 shares only the date of
  // birth with them; record 4 shares nothing. Six candidate pairs.
  Table table({"name", "date_of_birth", "resident_id"});
  table.add_row({"李明", "1980-03-05", "110105198003050015"});
  table.add_row({"李明", "1980-03-05", "110105198003050015"});
  table.add_row({"李明", "1980-03-05", "110105198003050015"});
  table.add_row({"王芳", "1980-03-05", "320102197512120021"});
  table.add_row({"赵强", "1969-11-30", "440305196911300038"});
  Deduplicator engine(table, Settings{});
  engine.prepare();
  engine.block();
  engine.estimate();
  engine.score();
  engine.cluster();
  EXPECT_EQ(engine.stats().comparisons, 6u);
  EXPECT_EQ(engine.clusters()[1], 0u);
  EXPECT_EQ(engine.clusters()[2], 0u);
  EXPECT_EQ(engine.clusters()[4], 4u);
  // The candidates are those six pairs: records 0-3 pairwise, 4 with none.
  for (std::uint32_t a = 0; a < 5; ++a)
    for (std::uint32_t b = 0; b < 5; ++b) EXPECT_EQ(engine.candidate(a, b), a != b && a < 4 && b < 4) << a << "," << b;
  EXPECT_FALSE(engine.candidate(0, 5));  // no such record
}

TEST(Engine, CandidatesAreThePairsCompared) {
  // Over every pair of a labelled set, the pairs candidate() names are as
  // many as score() compares (each once); the blocking recall follows.
  const Loaded data = load_dataset("febrl1");
  Deduplicator engine(*data.table, Settings{});
  engine.prepare();
  engine.block();
  engine.estimate();
  engine.score();
  const auto n = static_cast<std::uint32_t>(data.entity.size());
  std::uint64_t candidates = 0, true_candidates = 0;
  for (std::uint32_t a = 0; a < n; ++a)
    for (std::uint32_t b = a + 1; b < n; ++b)
      if (engine.candidate(a, b)) {
        ++candidates;
        true_candidates += data.entity[a] == data.entity[b] ? 1 : 0;
      }
  EXPECT_EQ(candidates, engine.stats().comparisons);
  EXPECT_EQ(true_candidates, 499u);  // of 500 true pairs: one pair shares no block
}

TEST(Engine, LongValuesComparedLikeShortOnes) {
  // Values longer than a record row holds inline are read from the arena;
  // the levels are the same as for short values.
  Table table({"given_name", "surname", "person_id", "occupation"});
  table.add_row({"maximilianus johannes", "van der westhuizen-smith", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123", "x"});
  table.add_row({"maximilianus johannes", "van der westhuizen-smyth", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0132", "x"});
  table.add_row({"max", "westhuizen", "ABCDEFGHIJKLMNOPQRSTUVWXYZ9999", "y"});
  table.add_row({"maks", "westhuisen", "ABCD", "y"});
  Deduplicator engine(table, Settings{});
  engine.prepare();
  engine.block();
  engine.estimate();
  // given exact, surname one letter apart (JW >= 0.94), ID one transposition, text exact
  EXPECT_EQ(engine.levels(0, 1), (std::vector<int>{1, 2, 2, 1}));
  EXPECT_EQ(engine.levels(0, 2)[2], 4);  // three characters differ
  EXPECT_EQ(engine.levels(2, 3)[1], 2);  // westhuizen / westhuisen: JW 0.96
  EXPECT_EQ(engine.levels(2, 3)[2], 4);  // IDs of different lengths
}

TEST(Engine, ClusterSupportRefusesWeakJoins) {
  const Loaded data = load_dataset("splink_fake_1000");
  Settings loose;
  loose.cluster_support = 0.0;  // single linkage: any link joins
  Settings strict;
  strict.cluster_support = 1.0;  // every cross pair must be a link
  const auto l = deduplicate(*data.table, loose);
  const auto s = deduplicate(*data.table, strict);
  EXPECT_EQ(l.stats.refused_joins, 0u);
  EXPECT_GT(s.stats.refused_joins, 0u);
  EXPECT_GT(s.stats.clusters, l.stats.clusters);
  // A refused join is listed for review.
  bool listed = false;
  for (const auto& r : s.review) listed |= r.linked_not_merged;
  EXPECT_TRUE(listed);
}

TEST(Engine, ReviewPairsAreUncertainOrRefused) {
  const Loaded data = load_dataset("splink_fake_1000");
  Settings settings;
  const auto result = deduplicate(*data.table, settings);
  ASSERT_FALSE(result.review.empty());
  for (std::size_t i = 1; i < result.review.size(); ++i) {  // most probable first, then by records
    const auto& p = result.review[i - 1].pair;
    const auto& q = result.review[i].pair;
    EXPECT_TRUE(p.weight > q.weight || (p.weight == q.weight && (p.a < q.a || (p.a == q.a && p.b < q.b))));
  }
  for (const auto& r : result.review) {
    if (r.linked_not_merged) continue;
    EXPECT_GE(r.pair.probability, settings.review_low);
    EXPECT_LT(r.pair.probability, settings.review_high);
  }
}

TEST(Engine, CommonNamesWeighLessThanRareNames) {
  // Many distinct people called 王伟, one pair of 欧阳震华; each pair agrees on
  // name and birth year only.
  Table table({"name", "date_of_birth", "resident_id"});
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    const std::string dob = "1980-0" + std::to_string(1 + i % 9) + "-1" + std::to_string(i % 10);
    table.add_row({"王伟", dob, ""});
  }
  for (int i = 0; i < 200; ++i) {
    static const char* names[] = {"李娜", "张敏", "刘洋", "陈静", "杨磊", "赵军", "黄勇", "周艳"};
    table.add_row({names[i % 8], "19" + std::to_string(50 + i % 50) + "-03-0" + std::to_string(1 + i % 9), ""});
  }
  table.add_row({"欧阳震华", "1980-05-11", ""});
  table.add_row({"歐陽震華", "1980-06-12", ""});
  Deduplicator engine(table, Settings{});
  engine.prepare();
  engine.block();
  engine.estimate();
  const auto common = engine.compare(0, 1);  // 王伟 / 王伟, other dates in 1980
  const auto rare = engine.compare(240, 241);
  EXPECT_EQ(engine.levels(240, 241)[0], 1);  // traditional form = same name
  EXPECT_GT(rare.weight, common.weight + 3);
}

TEST(Engine, FifteenDigitIdAndSwappedDayMonth) {
  const std::string id = normalize_id("110105800305001");  // 18 digits, with its check character
  ASSERT_EQ(id.size(), 18u);
  std::string transposed = id;
  std::swap(transposed[15], transposed[16]);  // "01" -> "10"
  Table table({"name", "date_of_birth", "resident_id"});
  table.add_row({"李明", "1980-03-05", id});
  table.add_row({"Ming LI", "1980-05-03", "110105800305001"});
  table.add_row({"李明", "1980-03-05", transposed});
  Deduplicator engine(table, Settings{});
  engine.prepare();
  engine.block();
  engine.estimate();
  EXPECT_EQ(engine.levels(0, 1), (std::vector<int>{1, 2, 1}));  // name, date swapped, same ID
  EXPECT_EQ(engine.levels(0, 2)[2], 2);                          // one transposition
}

TEST(Engine, DateLevels) {
  // Dates of eight digits are levelled in one machine word: the same levels
  // as the general rule (one position, an adjacent swap, or day and month
  // swapped: 2; two positions or the same year: 3; else 4).
  Table table({"given_name", "date_of_birth"});
  for (const char* date : {"1980-03-05", "1980-03-06", "1908-03-05", "1980-05-03", "1980-11-25", "1981-04-05",
                           "1975-12-28", "1980-03-05"})
    table.add_row({"wei", date});
  Deduplicator engine(table, Settings{});
  engine.prepare();
  engine.block();
  engine.estimate();
  auto date_level = [&](std::uint32_t a, std::uint32_t b) { return engine.levels(a, b)[1]; };
  EXPECT_EQ(date_level(0, 7), 1);  // equal
  EXPECT_EQ(date_level(0, 1), 2);  // one position
  EXPECT_EQ(date_level(0, 2), 2);  // 1980 / 1908: two adjacent positions crossed
  EXPECT_EQ(date_level(0, 3), 2);  // day and month swapped
  EXPECT_EQ(date_level(0, 4), 3);  // same year, three positions
  EXPECT_EQ(date_level(0, 5), 3);  // two positions, another year
  EXPECT_EQ(date_level(0, 6), 4);  // another year, six positions
  EXPECT_EQ(date_level(1, 2), 4);  // 19800306 / 19080305: three positions, another year
}

TEST(Engine, NameLevelsFollowJaroWinkler) {
  // A name's level is Jaro-Winkler's band (>= 0.94: 2, >= 0.85: 3, >= 0.70:
  // 4, else 5), also where the letters alone settle it without computing
  // Jaro-Winkler; names longer than a row holds (24 bytes) are read whole.
  std::vector<std::string> names;
  std::mt19937_64 next(20261130);  // fixed seed: the same names every run
  const std::string letters = "aeinorstlwhg";
  for (int i = 0; i < 240; ++i) {
    const std::size_t length = i % 40 == 0 ? 25 + next() % 6 : 2 + next() % 11;
    std::string name;
    for (std::size_t k = 0; k < length; ++k) name.push_back(letters[next() % (i % 3 == 0 ? 5 : letters.size())]);
    names.push_back(name);
  }
  names.push_back(names[7]);  // one pair of equal names
  for (std::size_t i = 0; i < 60; ++i)  // typos: the last letter changed
    if (names[i].size() >= 6) names.push_back(names[i].substr(0, names[i].size() - 1) + "z");
  Table table({"surname"});
  for (const std::string& name : names) table.add_row({name});
  Deduplicator engine(table, Settings{});
  engine.prepare();
  engine.block();
  engine.estimate();
  std::array<int, 6> seen{};
  for (std::uint32_t a = 0; a < names.size(); ++a) {
    for (std::uint32_t b = a + 1; b < names.size(); ++b) {
      const double jw = jaro_winkler(names[a], names[b]);
      const int expected = names[a] == names[b] ? 1 : jw >= 0.94 ? 2 : jw >= 0.85 ? 3 : jw >= 0.70 ? 4 : 5;
      const int level = engine.levels(a, b)[0];
      ASSERT_EQ(level, expected) << names[a] << " / " << names[b] << ": Jaro-Winkler " << jw;
      ++seen[level];
    }
  }
  for (int level = 1; level <= 5; ++level) EXPECT_GT(seen[level], 0) << "no pair at level " << level;
}

TEST(Engine, GivenNameAndSurnameSwapped) {
  // A record with given name and surname swapped takes the levels of the
  // swapped names when they are closer; the bound that rules the swap out
  // first for most pairs does not change the levels.
  Table table({"given_name", "surname"});
  table.add_row({"john", "smith"});
  table.add_row({"smith", "john"});   // swapped
  table.add_row({"smyth", "jon"});    // swapped, each with a typo
  table.add_row({"mary", "smith"});   // another given name: no swap
  table.add_row({"johann", "smith"});
  Deduplicator engine(table, Settings{});
  engine.prepare();
  engine.block();
  engine.estimate();
  EXPECT_EQ(engine.levels(0, 1), (std::vector<int>{1, 1}));
  EXPECT_EQ(engine.levels(0, 2), (std::vector<int>{3, 3}));  // jon / john 0.93, smith / smyth 0.89
  EXPECT_EQ(engine.levels(0, 3), (std::vector<int>{5, 1}));
  // smith / mary and john / smith (5, 5) against smith / smith and john / mary swapped
  EXPECT_EQ(engine.levels(1, 3), (std::vector<int>{1, 5}));
  EXPECT_EQ(engine.levels(0, 4), (std::vector<int>{3, 1}));  // john / johann: JW 0.92, no swap
}

TEST(Generator, DeterministicAndLabelled) {
  std::vector<GeneratedRecord> a, b;
  generate_people({500, 0.3, 9}, [&](const GeneratedRecord& r) { a.push_back(r); });
  generate_people({500, 0.3, 9}, [&](const GeneratedRecord& r) { b.push_back(r); });
  ASSERT_EQ(a.size(), 500u);
  std::unordered_map<std::string, int> per_entity;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].values, b[i].values);
    ++per_entity[a[i].values[1]];
  }
  int with_duplicates = 0;
  for (const auto& [entity, count] : per_entity) with_duplicates += count > 1;
  EXPECT_GT(with_duplicates, 50);
  EXPECT_LT(per_entity.size(), 500u);
}

}  // namespace
}  // namespace shebao::matching
