#include "scratch_database.h"

#include <atomic>
#include <iostream>
#include <stdexcept>

#include "services.h"
#include "store/mariadb/mariadb_connection.h"

namespace parley::testing {

namespace {
std::atomic<int> g_next_database{1};
}  // namespace

MariaDbConfig mariadb_config(const std::string& database) {
  const ClusterServices& svc = cluster_services();
  MariaDbConfig config;
  config.connection.host = svc.mariadb_host();
  config.connection.port = svc.mariadb_port();
  config.connection.user = svc.mariadb_user();
  config.connection.password = svc.mariadb_password();
  config.connection.database = database;
  config.connection.connect_timeout = std::chrono::seconds(2);
  config.connection.read_timeout = std::chrono::seconds(2);
  config.connection.write_timeout = std::chrono::seconds(2);
  config.pool_size = 4;
  return config;
}

std::vector<std::string> first_column(const std::string& database, const char* sql,
                                      std::initializer_list<mariadb::Param> params) {
  auto connection = mariadb::Connection::open(mariadb_config(database).connection, database);
  if (!connection) throw std::runtime_error(connection.error().message);
  auto rows = (*connection)->query(sql, params);
  if (!rows) throw std::runtime_error(rows.error().message);
  std::vector<std::string> out;
  for (const auto& row : *rows) out.push_back(row.is_null(0) ? "NULL" : row.text(0));
  return out;
}

ScratchDatabase::ScratchDatabase() : name_("parley_t" + std::to_string(g_next_database++)) {}

ScratchDatabase::~ScratchDatabase() {
  auto connection = mariadb::Connection::open(mariadb_config(name_).connection, "");
  Status dropped = connection ? (*connection)->run("DROP DATABASE IF EXISTS `" + name_ + "`") : connection.error();
  // Leaving a database behind only costs disk in a temp dir that goes away.
  if (!dropped) std::cerr << "could not drop " << name_ << ": " << dropped.error().message << "\n";
}

ScratchShards::ScratchShards(std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) databases_.push_back(std::make_unique<ScratchDatabase>());
}

std::vector<std::string> ScratchShards::names() const {
  std::vector<std::string> out;
  for (const auto& database : databases_) out.push_back(database->name());
  return out;
}

MessageShardsConfig ScratchShards::config() const {
  const MariaDbConfig server = mariadb_config("");
  return shards_on_one_server(server.connection, names(), server.pool_size);
}

}  // namespace parley::testing
