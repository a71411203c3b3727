// Store contract, accounts and chats (store_contract_accounts.h), on
// MemoryStore and RocksStore.
#include "store_contract_accounts.h"

namespace parley::testing {

INSTANTIATE_TYPED_TEST_SUITE_P(Store, AccountStoreContract, StoreTypes, StoreTypeNames);
INSTANTIATE_TYPED_TEST_SUITE_P(Store, ChatStoreContract, StoreTypes, StoreTypeNames);

}  // namespace parley::testing
