#include "bus/device_bus.h"

#include "protocol/frames.h"

namespace parley {

OutboundFrame encode_frame(const Event& event) {
  OutboundFrame frame;
  if (const auto* m = std::get_if<MessageEvent>(&event)) {
    frame.text = std::make_shared<const std::string>(protocol::encode_message_frame_start(m->message));
    frame.shard = m->message.shard;
    frame.offset = m->message.offset;
  } else {
    frame.text = std::make_shared<const std::string>(protocol::encode_event(event));
  }
  return frame;
}

}  // namespace parley
