// The one pss binary: dispatches to a subcommand.
#include <cstdio>

int main(int argc, char**) {
  std::fputs("usage: pss <command> [options]\n", argc < 2 ? stderr : stdout);
  return argc < 2 ? 2 : 0;
}
