// Prints the highest x86-64 micro-architecture level this processor runs
// (v3: AVX2, BMI, FMA; v2: SSE4.2, POPCNT; v1: the baseline), for CMakeLists.txt.
#include <cstdio>

int main() {
  __builtin_cpu_init();
  std::puts(__builtin_cpu_supports("x86-64-v3") ? "v3" : __builtin_cpu_supports("x86-64-v2") ? "v2" : "v1");
  return 0;
}
