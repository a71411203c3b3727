#pragma once
// Serves the browser client's static files from a directory.

#include <string>

#include "net/rest_replies.h"

namespace parley {

// GET/HEAD of a file under `root` ("/" is index.html). Paths that leave the
// root, and anything when `root` is empty, are 404.
rest::Response serve_static(const std::string& root, const rest::Request& req);

}  // namespace parley
