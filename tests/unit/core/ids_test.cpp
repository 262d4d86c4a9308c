#include <doctest/doctest.h>

#include <sstream>
#include <type_traits>

#include "core/ids.hpp"

using namespace pss;

TEST_CASE("ids: strong types are distinct and ordered") {
  static_assert(!std::is_convertible_v<term_id, log_index>);
  static_assert(!std::is_convertible_v<std::uint64_t, node_id>);
  CHECK(term_id{3} < term_id{4});
  CHECK(term_id{3}.next() == term_id{4});
  CHECK(log_index{9}.prev() == log_index{8});
  CHECK(no_node == node_id{0});
  std::ostringstream os;
  os << node_id{7} << ' ' << term_id{2} << ' ' << share_index{5};
  CHECK(os.str() == "n7 t2 x5");
}
