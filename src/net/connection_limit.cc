#include "net/connection_limit.h"

#include <sys/resource.h>

#include <algorithm>

namespace parley {

std::size_t connection_limit_for(std::size_t configured, std::size_t reserve) {
  rlimit limit{};
  std::size_t descriptors = 1024;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    descriptors = static_cast<std::size_t>(limit.rlim_cur);
  }
  // Even a tiny limit leaves room for a few clients.
  std::size_t allowed = descriptors > reserve + 16 ? descriptors - reserve : 16;
  return configured > 0 ? std::min(configured, allowed) : allowed;
}

}  // namespace parley
