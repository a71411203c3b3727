#pragma once
// Fresh MariaDB databases on the test binary's private server (see
// services.h): each ScratchDatabase has a name no other test used
// (parley_t<N>), and drops its database when destroyed. Test thread only.

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "store/mariadb/mariadb_message_log.h"
#include "store/mariadb/mariadb_push_jobs.h"
#include "store/mariadb/mariadb_store.h"
#include "unit/store_contract_fixture.h"

namespace parley::testing {

// The connection settings of the services' MariaDB for `database`, with
// short timeouts (2 s each) so that outage tests finish quickly.
MariaDbConfig mariadb_config(const std::string& database);

// The first column of every row of `sql` (fixed SQL with bound `params`) on
// `database` ("": none), "NULL" for SQL NULL, on a connection of its own.
// Throws std::runtime_error when the server refuses.
std::vector<std::string> first_column(const std::string& database, const char* sql,
                                      std::initializer_list<mariadb::Param> params = {});

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

// For the push job contract suite (unit/store_contract_push_jobs.h): a fresh
// MariaDbPushJobStore per test, its database dropped afterwards.
template <>
class ScratchStore<MariaDbPushJobStore> {
 public:
  MariaDbPushJobStore& store() { return *store_; }

 private:
  ScratchDatabase database_;
  std::unique_ptr<MariaDbPushJobStore> store_ = MariaDbPushJobStore::open(database_.config());
};

// `count` fresh databases on the services' MariaDB, as the message shards of
// one cluster (in order), dropped when destroyed. Test thread only.
class ScratchShards {
 public:
  explicit ScratchShards(std::size_t count);
  MessageShardsConfig config() const;
  // A shard map with its own connections, as one node has (creates the
  // schema the first time).
  std::shared_ptr<MessageShards> open() const { return MessageShards::open(config()); }
  std::vector<std::string> names() const;

 private:
  std::vector<std::unique_ptr<ScratchDatabase>> databases_;
};

// For the message log contract suite (unit/store_contract_messages.h): a
// fresh log of ONE shard per test, so that the suite's offsets are those of
// one log, as on a single node.
template <>
class ScratchStore<MariaDbMessageLog> {
 public:
  MariaDbMessageLog& store() { return *log_; }

 private:
  ScratchShards shards_{1};
  std::unique_ptr<MariaDbMessageLog> log_ = std::make_unique<MariaDbMessageLog>(shards_.open());
};

}  // namespace parley::testing
