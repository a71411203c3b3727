// Store contract: the message log (store_contract_messages.h), its search
// index (store_contract_search.h) and push jobs (store_contract_push_jobs.h),
// on MemoryStore and RocksStore.
#include "store_contract_messages.h"
#include "store_contract_push_jobs.h"
#include "store_contract_search.h"

namespace parley::testing {

INSTANTIATE_TYPED_TEST_SUITE_P(Store, MessageLogContract, StoreTypes, StoreTypeNames);
INSTANTIATE_TYPED_TEST_SUITE_P(Store, PushJobStoreContract, StoreTypes, StoreTypeNames);
INSTANTIATE_TYPED_TEST_SUITE_P(Store, SearchIndexContract, StoreTypes, StoreTypeNames);

}  // namespace parley::testing
