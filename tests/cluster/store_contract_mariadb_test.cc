// The store contract for accounts and chats (unit/store_contract_accounts.h),
// the same tests MemoryStore and RocksStore pass, on MariaDbStore: a fresh
// database on the binary's private MariaDB per test.
#include "scratch_database.h"
#include "unit/store_contract_accounts.h"

namespace parley::testing {

struct MariaDbStoreName {
  template <typename S>
  static std::string GetName(int) {
    return "MariaDb";
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Store, AccountStoreContract, ::testing::Types<MariaDbStore>, MariaDbStoreName);
INSTANTIATE_TYPED_TEST_SUITE_P(Store, ChatStoreContract, ::testing::Types<MariaDbStore>, MariaDbStoreName);

}  // namespace parley::testing
