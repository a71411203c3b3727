#pragma once
// Fresh MariaDB databases on the test binary's private server (see
// services.h): each ScratchDatabase has a name no other test used
// (parley_t<N>), and drops its database when destroyed. Test thread only.

#include <memory>
#include <string>

#include "store/mariadb/mariadb_store.h"
#include "unit/store_contract_fixture.h"

namespace parley::testing {

// The connection settings of the services' MariaDB for `database`, with
// short timeouts (2 s each) so that outage tests finish quickly.
MariaDbConfig mariadb_config(const std::string& database);

class ScratchDatabase {
 public:
  ScratchDatabase();
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  MariaDbConfig config() const { return mariadb_config(name_); }
  // A store on this database (creates the schema the first time).
  std::unique_ptr<MariaDbStore> open_store() const { return MariaDbStore::open(config()); }

 private:
  std::string name_;
};

// For the store contract suites (unit/store_contract_fixture.h): a fresh,
// empty MariaDbStore per test, its database dropped afterwards.
template <>
class ScratchStore<MariaDbStore> {
 public:
  MariaDbStore& store() { return *store_; }

 private:
  ScratchDatabase database_;
  std::unique_ptr<MariaDbStore> store_ = database_.open_store();
};

}  // namespace parley::testing
