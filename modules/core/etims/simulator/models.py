"""What the simulated KRA keeps: devices, items, signed invoices, purchases offered to a buyer, stock
reports, and the faults a test or a developer asks it to inject. In PostgreSQL, so every gunicorn
worker and test thread sees one KRA."""

from django.db import models
from django.utils import timezone


class SimDevice(models.Model):
    """A device KRA approved in its portal (tin, branch, serial), installed once by
    ``selectInitOsdcInfo`` (a second initialisation answers 902)."""

    tin = models.CharField(max_length=11)
    bhf_id = models.CharField(max_length=2)
    serial = models.CharField(max_length=100)
    taxpayer_name = models.CharField(max_length=120, default="Biashara demo taxpayer")
    sdc_id = models.CharField(max_length=20)
    mrc_no = models.CharField(max_length=20)
    cmc_key = models.CharField(max_length=64, blank=True)
    installed_at = models.DateTimeField(null=True, blank=True)
    last_invoice_no = models.PositiveIntegerField(default=0)
    receipts_s = models.PositiveIntegerField(default=0)  # curRcptNo per receipt type
    receipts_r = models.PositiveIntegerField(default=0)
    receipts_total = models.PositiveIntegerField(default=0)  # totRcptNo

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tin", "bhf_id"], name="sim_device_one_per_branch")]

    def __str__(self):
        return f"{self.sdc_id} ({self.tin}/{self.bhf_id})"


class SimItem(models.Model):
    device = models.ForeignKey(SimDevice, on_delete=models.CASCADE, related_name="items")
    item_cd = models.CharField(max_length=20)
    payload = models.JSONField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "item_cd"], name="sim_item_unique")]


class SimInvoice(models.Model):
    """A sale (S) or credit note (R) KRA accepted and signed."""

    device = models.ForeignKey(SimDevice, on_delete=models.CASCADE, related_name="invoices")
    invc_no = models.PositiveIntegerField()
    rcpt_ty_cd = models.CharField(max_length=1)
    org_invc_no = models.PositiveIntegerField(default=0)
    trd_invc_no = models.CharField(max_length=50, blank=True)
    cust_tin = models.CharField(max_length=11, blank=True)
    sales_dt = models.CharField(max_length=8)
    tot_amt = models.DecimalField(max_digits=14, decimal_places=2)
    payload = models.JSONField()
    cur_rcpt_no = models.PositiveIntegerField()
    tot_rcpt_no = models.PositiveIntegerField()
    intrl_data = models.CharField(max_length=26)
    rcpt_sign = models.CharField(max_length=16)
    sdc_date_time = models.CharField(max_length=14)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["device", "invc_no"]
        constraints = [models.UniqueConstraint(fields=["device", "invc_no"], name="sim_invoice_unique")]

    def receipt(self) -> dict:
        return {"curRcptNo": self.cur_rcpt_no, "totRcptNo": self.tot_rcpt_no, "intrlData": self.intrl_data,
                "rcptSign": self.rcpt_sign, "sdcDateTime": self.sdc_date_time}


class SimSupplierSale(models.Model):
    """A supplier's eTIMS sale to a buyer's PIN: what ``selectTrnsPurchaseSalesList`` offers the buyer."""

    buyer_tin = models.CharField(max_length=11)
    spplr_tin = models.CharField(max_length=11)
    spplr_nm = models.CharField(max_length=60)
    spplr_bhf_id = models.CharField(max_length=2, default="00")
    spplr_invc_no = models.PositiveIntegerField()
    spplr_sdc_id = models.CharField(max_length=20)
    sales_dt = models.CharField(max_length=8)
    tot_taxbl_amt = models.DecimalField(max_digits=14, decimal_places=2)
    tot_tax_amt = models.DecimalField(max_digits=14, decimal_places=2)
    tot_amt = models.DecimalField(max_digits=14, decimal_places=2)
    items = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["spplr_tin", "spplr_bhf_id", "spplr_invc_no"],
                                               name="sim_supplier_sale_unique")]


class SimPurchase(models.Model):
    device = models.ForeignKey(SimDevice, on_delete=models.CASCADE, related_name="purchases")
    invc_no = models.PositiveIntegerField()
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "invc_no"], name="sim_purchase_unique")]


class SimStockIO(models.Model):
    device = models.ForeignKey(SimDevice, on_delete=models.CASCADE, related_name="stock_moves")
    sar_no = models.PositiveIntegerField()
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "sar_no"], name="sim_stock_io_unique")]


class SimStockMaster(models.Model):
    device = models.ForeignKey(SimDevice, on_delete=models.CASCADE, related_name="stock_master")
    item_cd = models.CharField(max_length=20)
    rsd_qty = models.DecimalField(max_digits=14, decimal_places=3)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "item_cd"], name="sim_stock_master_unique")]


class SimFaults(models.Model):
    """Fault injection (one row). Rates are chances per call (0-1), drawn from ``seed`` and the call
    number so a run is repeatable; ``down_until``: every call answers 503 until then (an outage).

    * ``rate_timeout``: the request is lost: the simulator hangs past the client's timeout, stores nothing;
    * ``rate_lost_answer``: the request is stored, then the answer is lost (the client times out);
    * ``rate_990`` / ``rate_994``: answers 990 / 994 without storing anything;
    * ``rate_5xx``: answers HTTP 500 without an envelope, storing nothing.
    Faults apply to ``saveTrnsSalesOsdc`` unless ``all_paths``.
    """

    rate_timeout = models.FloatField(default=0)
    rate_lost_answer = models.FloatField(default=0)
    rate_990 = models.FloatField(default=0)
    rate_994 = models.FloatField(default=0)
    rate_5xx = models.FloatField(default=0)
    all_paths = models.BooleanField(default=False)
    down_until = models.DateTimeField(null=True, blank=True)
    seed = models.CharField(max_length=40, default="etims")
    calls = models.PositiveBigIntegerField(default=0)


class SimQueuedFault(models.Model):
    """A fault for the next call to ``path`` (any path when blank), used once, oldest first."""

    KINDS = ("timeout", "lost_answer", "990", "994", "5xx", "910")
    kind = models.CharField(max_length=12, choices=[(k, k) for k in KINDS])
    path = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["pk"]
