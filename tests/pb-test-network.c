/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pb-test-network.h"

struct _PbTestNetwork
{
  GObject  parent_instance;

  gboolean available;
};

enum
{
  PROP_0,
  PROP_NETWORK_AVAILABLE,
  PROP_NETWORK_METERED,
  PROP_CONNECTIVITY,
  N_PROPS
};

static void pb_test_network_initable_iface_init (GInitableIface *iface);
static void pb_test_network_monitor_iface_init (GNetworkMonitorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PbTestNetwork, pb_test_network, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      pb_test_network_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_NETWORK_MONITOR,
                                                      pb_test_network_monitor_iface_init))

static gboolean
pb_test_network_initable_init (GInitable     *initable,
                               GCancellable  *cancellable,
                               GError       **error)
{
  return TRUE;
}

static void
pb_test_network_initable_iface_init (GInitableIface *iface)
{
  iface->init = pb_test_network_initable_init;
}

static gboolean
pb_test_network_can_reach (GNetworkMonitor     *monitor,
                           GSocketConnectable  *connectable,
                           GCancellable        *cancellable,
                           GError             **error)
{
  if (PB_TEST_NETWORK (monitor)->available)
    return TRUE;

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE, "Network unreachable");
  return FALSE;
}

static void
pb_test_network_monitor_iface_init (GNetworkMonitorInterface *iface)
{
  iface->can_reach = pb_test_network_can_reach;
}

static void
pb_test_network_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PbTestNetwork *self = PB_TEST_NETWORK (object);

  switch (prop_id)
    {
    case PROP_NETWORK_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;

    case PROP_NETWORK_METERED:
      g_value_set_boolean (value, FALSE);
      break;

    case PROP_CONNECTIVITY:
      g_value_set_enum (value, self->available ? G_NETWORK_CONNECTIVITY_FULL
                                               : G_NETWORK_CONNECTIVITY_LOCAL);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pb_test_network_class_init (PbTestNetworkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = pb_test_network_get_property;

  g_object_class_override_property (object_class, PROP_NETWORK_AVAILABLE, "network-available");
  g_object_class_override_property (object_class, PROP_NETWORK_METERED, "network-metered");
  g_object_class_override_property (object_class, PROP_CONNECTIVITY, "connectivity");
}

static void
pb_test_network_init (PbTestNetwork *self)
{
}

PbTestNetwork *
pb_test_network_new (gboolean available)
{
  PbTestNetwork *self = g_object_new (PB_TYPE_TEST_NETWORK, NULL);

  self->available = available;
  return self;
}

void
pb_test_network_set_available (PbTestNetwork *self,
                               gboolean       available)
{
  g_return_if_fail (PB_IS_TEST_NETWORK (self));

  available = !!available;
  if (self->available == available)
    return;

  self->available = available;
  g_object_notify (G_OBJECT (self), "network-available");
  g_object_notify (G_OBJECT (self), "connectivity");
  g_signal_emit_by_name (self, "network-changed", available);
}

void
pb_test_network_changed (PbTestNetwork *self)
{
  g_return_if_fail (PB_IS_TEST_NETWORK (self));

  g_signal_emit_by_name (self, "network-changed", self->available);
}
