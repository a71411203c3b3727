#pragma once
// JSON shapes of the domain objects, shared by WebSocket frames and REST bodies.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "core/accounts.h"
#include "core/ports.h"

namespace parley::protocol {

boost::json::object message_object(const Message& m);
boost::json::object chat_object(const ChatView& chat);
boost::json::object presence_object(const PresenceEvent& p);
boost::json::object user_object(const User& user);
// One entry of GET /v1/devices; `current`: the caller's own device.
boost::json::object device_object(const Device& device, bool current);

// `{"error":{"code","message"}}`
std::string encode_error_body(const Error& error);

}  // namespace parley::protocol
