// Store contract: the message log (store_contract_messages.h) and push jobs
// (store_contract_push_jobs.h), on MemoryStore and RocksStore.
#include "store_contract_messages.h"
#include "store_contract_push_jobs.h"

namespace parley::testing {

INSTANTIATE_TYPED_TEST_SUITE_P(Store, MessageLogContract, StoreTypes, StoreTypeNames);
INSTANTIATE_TYPED_TEST_SUITE_P(Store, PushJobStoreContract, StoreTypes, StoreTypeNames);

}  // namespace parley::testing
