#include "xport.h"

#include <string.h>

const struct fc_xport_ops *fc_xport_find(const char *name)
{
	if (!strcmp(name, fc_xport_ofi.name))
		return &fc_xport_ofi;
	if (!strcmp(name, fc_xport_socket.name))
		return &fc_xport_socket;
	return NULL;
}
