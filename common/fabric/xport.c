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

void fc_op_list_add(struct fc_op_list *l, struct fc_op *op)
{
	if (op->posted)
		return;
	op->posted = true;
	op->prev = NULL;
	op->next = l->head;
	if (l->head)
		l->head->prev = op;
	l->head = op;
	l->n++;
}

void fc_op_list_del(struct fc_op_list *l, struct fc_op *op)
{
	if (!op->posted)
		return;
	op->posted = false;
	if (op->prev)
		op->prev->next = op->next;
	else
		l->head = op->next;
	if (op->next)
		op->next->prev = op->prev;
	op->prev = op->next = NULL;
	l->n--;
}
