using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Appliance.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class UserSettings : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "MailboxSettings",
                columns: table => new
                {
                    MailboxId = table.Column<int>(type: "INTEGER", nullable: false),
                    Signature = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    VacationEnabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    VacationStartDate = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    VacationEndDate = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    VacationSubject = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    VacationText = table.Column<string>(type: "TEXT", maxLength: 8000, nullable: false),
                    VacationReplyIntervalDays = table.Column<int>(type: "INTEGER", nullable: false),
                    UpdatedUtc = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MailboxSettings", x => x.MailboxId);
                    table.ForeignKey(
                        name: "FK_MailboxSettings_Mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "Mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "VacationReplies",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    MailboxId = table.Column<int>(type: "INTEGER", nullable: false),
                    Sender = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    RepliedUtc = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_VacationReplies", x => x.Id);
                    table.ForeignKey(
                        name: "FK_VacationReplies_Mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "Mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_VacationReplies_MailboxId_Sender",
                table: "VacationReplies",
                columns: new[] { "MailboxId", "Sender" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "MailboxSettings");

            migrationBuilder.DropTable(
                name: "VacationReplies");
        }
    }
}
