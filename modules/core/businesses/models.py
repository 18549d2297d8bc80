from django.db import models


class Business(models.Model):
    """One of the owner's businesses. Rows are created from the enabled modules' declarations."""

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)
    vat_registered = models.BooleanField(
        "VAT-registered", default=True,
        help_text="Off: its sales charge and post no VAT (every line is eTIMS band D, non-VAT).")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "businesses"
        permissions = [("view_all_businesses", "Can see every business's records")]

    def __str__(self):
        return self.name
