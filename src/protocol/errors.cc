#include "protocol/errors.h"

#include "core/text.h"

namespace parley::protocol {

const char* wire_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_json:
      return "invalid_json";
    case ErrorCode::invalid_request:
      return "invalid_request";
    case ErrorCode::unknown_type:
      return "unknown_type";
    case ErrorCode::email_taken:
      return "email_taken";
    case ErrorCode::conflict:
      return "conflict";
    case ErrorCode::bad_credentials:
      return "bad_credentials";
    case ErrorCode::unauthorized:
      return "unauthorized";
    case ErrorCode::forbidden:
      return "forbidden";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::empty_text:
      return "empty_text";
    case ErrorCode::invalid_utf8:
      return "invalid_utf8";
    case ErrorCode::text_too_long:
      return "text_too_long";
    case ErrorCode::group_too_large:
      return "group_too_large";
    case ErrorCode::payload_too_large:
      return "payload_too_large";
    case ErrorCode::rate_limited:
      return "rate_limited";
    case ErrorCode::overloaded:
      return "overloaded";
    case ErrorCode::unavailable:
      return "unavailable";
    case ErrorCode::internal:
      return "internal";
  }
  return "internal";
}

std::string wire_message(const Error& error) {
  return utf8_sanitize(error.message, kMaxErrorMessageBytes);
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_credentials:
    case ErrorCode::unauthorized:
      return 401;
    case ErrorCode::forbidden:
      return 403;
    case ErrorCode::not_found:
      return 404;
    case ErrorCode::email_taken:
    case ErrorCode::conflict:
      return 409;
    case ErrorCode::payload_too_large:
      return 413;
    case ErrorCode::rate_limited:
      return 429;
    case ErrorCode::overloaded:
    case ErrorCode::unavailable:
      return 503;
    case ErrorCode::internal:
      return 500;
    default:
      return 400;
  }
}

}  // namespace parley::protocol
