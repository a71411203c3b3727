#pragma once
// MariaDB addresses as operators write them on a command line or in a config
// file, for `--mariadb URL` and each `--mariadb-shard URL`:
//
//   mariadb://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE[?socket=PATH]
//
// USER and PASSWORD may be percent-encoded (%40 for '@', %3A for ':', %2F for
// '/'); HOST is a name, an IPv4 address or a bracketed IPv6 address; PORT
// defaults to 3306; DATABASE is 1-64 of [A-Za-z0-9_] (it becomes an
// identifier in DDL). HOST "localhost" with ?socket=PATH connects through
// that unix socket. The timeouts keep ConnectionConfig's defaults.
//
// Start-up only; any thread.

#include <string>

#include "core/result.h"
#include "store/mariadb/mariadb_connection.h"

namespace parley::mariadb {

// The connection settings the URL names, or invalid_request saying what is
// wrong with it (the message never repeats the password).
Result<ConnectionConfig> parse_mariadb_url(const std::string& url);

}  // namespace parley::mariadb
