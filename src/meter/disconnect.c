/* Disconnect control (class 70, REFERENCE.md §8.8): the control state, the output state that
 * follows it, and the remote transitions the control mode allows:
 *   b remote_disconnect connected -> disconnected, c ready_for_reconnection -> disconnected;
 *   a remote_reconnect disconnected -> connected (modes 2, 4, 7),
 *   d remote_reconnect disconnected -> ready_for_reconnection (modes 1, 3, 5, 6).
 * Mode 0 allows none. A method asked in the state it leads to changes nothing and succeeds. */
#include "meter/meter_int.h"

enum { DISCONNECTED = 0, CONNECTED = 1, READY_FOR_RECONNECTION = 2 };

int meter_disconnect_get(meter_object *o, uint8_t id, ds_value_arena *a, ds_value **out)
{
    switch (id) {
    case 2: *out = ds_value_new_uint(a, DS_DATA_BOOLEAN, o->control_state == CONNECTED); break;
    case 3: *out = ds_value_new_uint(a, DS_DATA_ENUM, o->control_state); break;
    case 4: *out = ds_value_new_uint(a, DS_DATA_ENUM, o->control_mode); break;
    default: return DS_METER_NOT_MINE;
    }
    return *out ? METER_OK : METER_TEMPORARY_FAILURE;
}

int meter_disconnect_set(meter_object *o, uint8_t id, const ds_value *v)
{
    /* output_state and control_state change through the methods only */
    if (id == 2 || id == 3) return METER_READ_WRITE_DENIED;
    if (id != 4) return DS_METER_NOT_MINE;
    if (v->u > 7) return METER_OTHER_REASON;
    o->control_mode = (uint8_t)v->u;
    return METER_OK;
}

int meter_disconnect_action(meter_object *o, uint8_t id, const ds_value *p)
{
    (void)p; /* integer(0): the type was checked, the value means nothing */
    if (o->control_mode == 0) return METER_TEMPORARY_FAILURE; /* always connected */
    if (id == 1) {
        o->control_state = DISCONNECTED; /* b or c */
        return METER_OK;
    }
    if (o->control_state != DISCONNECTED) return METER_OK;
    int direct = o->control_mode == 2 || o->control_mode == 4 || o->control_mode == 7;
    o->control_state = direct ? CONNECTED : READY_FOR_RECONNECTION; /* a or d */
    return METER_OK;
}
