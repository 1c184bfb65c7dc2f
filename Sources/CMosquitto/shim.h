#ifndef EDGE_ANOMALY_CMOSQUITTO_SHIM_H
#define EDGE_ANOMALY_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#include <mqtt_protocol.h>
#endif
